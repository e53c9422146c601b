package dev.bulwark.testing;

import dev.bulwark.check.Connection;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.Filter;
import dev.bulwark.check.Limits;
import dev.bulwark.check.Message;
import dev.bulwark.check.RelayDomains;

import java.util.List;
import java.util.function.Function;

/**
 * A filter for protocol tests: relay domains and limits as given, and a DATA-stage decision the
 * test chooses. Policy-language behaviour is tested with the compiled policy itself.
 */
public record TestFilter(
        RelayDomains relayDomains, Limits limits, Function<Message, Decision> dataStage)
        implements Filter {

    public static final String DIGEST = "0".repeat(63) + "1";

    public static TestFilter relayingFor(String... domains) {
        return new TestFilter(
                RelayDomains.of(List.of(domains)), Limits.defaults(), m -> Decision.none());
    }

    public TestFilter withLimits(Limits newLimits) {
        return new TestFilter(relayDomains, newLimits, dataStage);
    }

    public TestFilter atData(Function<Message, Decision> decision) {
        return new TestFilter(relayDomains, limits, decision);
    }

    @Override
    public String digest() {
        return DIGEST;
    }

    @Override
    public Evaluation begin(Connection connection) {
        return new Evaluation() {
            @Override
            public Decision data(Message message) {
                return dataStage.apply(message);
            }
        };
    }
}
