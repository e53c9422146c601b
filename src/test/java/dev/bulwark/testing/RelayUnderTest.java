package dev.bulwark.testing;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.check.Filter;
import dev.bulwark.relay.NextHop;
import dev.bulwark.relay.NextHopConfig;
import dev.bulwark.smtp.SmtpServer;
import dev.bulwark.smtp.SmtpSettings;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/** A Bulwark relay on an ephemeral loopback port, relaying to a next hop on loopback. */
public final class RelayUnderTest implements AutoCloseable {

    private final SmtpServer server;
    private final NextHop nextHop;
    private final List<AuditRecord> audit = new CopyOnWriteArrayList<>();

    public RelayUnderTest(Filter filter, int nextHopPort) {
        this(filter, nextHopPort, s -> s, c -> c);
    }

    public RelayUnderTest(Filter filter, int nextHopPort, UnaryOperator<SmtpSettings> settings,
            UnaryOperator<NextHopConfig> nextHopConfig) {
        NextHopConfig config = nextHopConfig.apply(NextHopConfig.of("127.0.0.1", nextHopPort, "relay.test")
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(10)));
        nextHop = new NextHop(config);
        SmtpSettings s = settings.apply(SmtpSettings.of("relay.test", new InetSocketAddress("127.0.0.1", 0)));
        server = SmtpServer.start(s, filter, nextHop, audit::add, Clock.systemUTC());
    }

    public int port() {
        return server.port();
    }

    public List<AuditRecord> audit() {
        return List.copyOf(audit);
    }

    @Override
    public void close() {
        server.close();
        nextHop.close();
    }
}
