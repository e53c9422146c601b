package dev.bulwark.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

class ReadinessTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AtomicBoolean verified = new AtomicBoolean(true);
    private final AtomicBoolean nextHopUp = new AtomicBoolean(true);
    private final AtomicInteger probes = new AtomicInteger();

    private final Readiness readiness =
            Readiness.of(
                    verified::get,
                    () -> {
                        probes.incrementAndGet();
                        return nextHopUp.get();
                    },
                    Duration.ofSeconds(2),
                    now::get);

    @Test
    void isReadyWhenVerifiedAndTheNextHopAnswers() {
        assertThat(readiness.check())
                .isEqualTo(new Readiness.Status(true, java.util.Optional.empty()));
    }

    @Test
    void isNotReadyWithoutSelfVerificationAndDoesNotBotherTheNextHop() {
        verified.set(false);

        Readiness.Status status = readiness.check();

        assertThat(status.ready()).isFalse();
        assertThat(status.problem())
                .contains("self-verification against the manifest has not passed");
        assertThat(probes).hasValue(0);
    }

    @Test
    void reusesAProbeResultWithinTheCachePeriodAndProbesAgainAfterIt() {
        assertThat(readiness.check().ready()).isTrue();
        nextHopUp.set(false);
        now.addAndGet(Duration.ofMillis(1999).toNanos());

        assertThat(readiness.check().ready()).as("still within 2 s of the last probe").isTrue();
        assertThat(probes).hasValue(1);

        now.addAndGet(Duration.ofMillis(1).toNanos());
        Readiness.Status status = readiness.check();

        assertThat(status.ready()).isFalse();
        assertThat(status.problem()).contains("next hop does not answer with a 220 banner");
        assertThat(probes).hasValue(2);
    }

    @Test
    void treatsAProbeThatThrowsAsANextHopThatDoesNotAnswer() {
        Readiness throwing =
                Readiness.of(
                        () -> true,
                        () -> {
                            throw new IllegalStateException("resolver exploded");
                        });

        assertThat(throwing.check().ready()).isFalse();
    }
}
