package dev.bulwark.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.testing.RedisServer;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Probe scheduling against a loopback port where nothing listens (connections are refused at once).
 */
class FleetTest {

    private final ManualTime time = new ManualTime();

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within 15 s: " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(1).toNanos()); // poll interval
        }
    }

    @Test
    void probesBackOffByDoublingUpToTheLongestIntervalWhileRedisIsDown() {
        RedisSettings settings =
                RedisSettings.parse("redis://127.0.0.1:" + RedisServer.freePort())
                        .withProbeBackoff(Duration.ofSeconds(1), Duration.ofSeconds(4));
        try (Fleet fleet = new Fleet(settings, time)) {
            long t0 = time.currentTimeNanos();
            fleet.start();
            assertThat(fleet.healthy()).isFalse();
            assertThat(fleet.outages()).isEqualTo(1);
            assertThat(fleet.nextProbeNanos() - t0).isEqualTo(Duration.ofSeconds(1).toNanos());

            long[] expectedWaits = {2, 4, 4, 4};
            for (long wait : expectedWaits) {
                long errorsBefore = fleet.errors();
                assertThat(fleet.proxy()).as("not due yet: no probe, no Redis").isEmpty();
                assertThat(fleet.errors()).isEqualTo(errorsBefore);
                time.advance(Duration.ofNanos(fleet.nextProbeNanos() - time.currentTimeNanos()));
                long probedAt = time.currentTimeNanos();
                assertThat(fleet.proxy()).isEmpty(); // due: starts a probe, answers at once
                await("the probe failed", () -> fleet.errors() == errorsBefore + 1);
                assertThat(fleet.nextProbeNanos() - probedAt)
                        .isEqualTo(Duration.ofSeconds(wait).toNanos());
            }
            assertThat(fleet.outages()).as("one outage, however many failed probes").isEqualTo(1);
        }
    }

    @Test
    void manyFailedCallsAreOneOutage() {
        RedisSettings settings = RedisSettings.parse("redis://127.0.0.1:" + RedisServer.freePort());
        try (Fleet fleet = new Fleet(settings, time)) {
            fleet.start();
            for (int i = 0; i < 100; i++) {
                fleet.failed(new IllegalStateException("call " + i));
            }
            assertThat(fleet.outages()).isEqualTo(1);
            assertThat(fleet.errors()).isEqualTo(101);
        }
    }
}
