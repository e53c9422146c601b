package dev.bulwark.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Stage;
import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.RedisServer;
import dev.bulwark.testing.RelayUnderTest;
import dev.bulwark.testing.SmtpWire;
import dev.bulwark.testing.TestFilter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/** Rate limits through the SMTP layer: refusals, replies, audit, and a fleet sharing one Redis. */
class RelayRateLimitIT {

    private RecordingNextHop nextHop;

    @BeforeEach
    void start() {
        nextHop = new RecordingNextHop();
    }

    @AfterEach
    void stop() {
        nextHop.close();
    }

    private static LimitSpec perSender(long capacity, LimitSpec.Scope scope) {
        return new LimitSpec(
                "per-sender",
                Stage.MAIL,
                LimitSpec.Key.SENDER,
                32,
                128,
                capacity,
                Duration.ofHours(1),
                LimitSpec.Cost.COUNT,
                scope,
                false);
    }

    /** Sends one message; returns the reply to MAIL (250 when it went through). */
    private static String send(RelayUnderTest relay, String sender) throws IOException {
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO client.example.org");
            c.expect("250 ");
            c.send("MAIL FROM:<" + sender + ">");
            String mail = c.reply();
            if (!mail.startsWith("250")) {
                return mail;
            }
            c.send("RCPT TO:<bob@example.com>");
            c.expect("250 ");
            c.send("DATA");
            c.expect("354 ");
            c.raw("Subject: limited\r\n\r\nhello\r\n.\r\n");
            c.expect("250 ");
            return mail;
        }
    }

    @Test
    void defersTheSenderPastItsLimitWithoutNamingTheLimit() throws Exception {
        RateLimiter limiter =
                RateLimiter.builder(List.of(perSender(2, LimitSpec.Scope.LOCAL))).build();
        try (RelayUnderTest relay =
                new RelayUnderTest(
                        TestFilter.relayingFor("example.com"), limiter, nextHop.port())) {
            assertThat(send(relay, "bulk@sender.example")).startsWith("250 ");
            assertThat(send(relay, "bulk@sender.example")).startsWith("250 ");
            String refused = send(relay, "bulk@sender.example");
            assertThat(refused).startsWith("451 4.7.1 ").doesNotContain("per-sender");
            assertThat(send(relay, "other@sender.example")).startsWith("250 ");
            assertThat(relay.audit())
                    .filteredOn(a -> a.verdict() == AuditVerdict.DEFER)
                    .singleElement()
                    .satisfies(a -> assertThat(a.rules()).containsExactly("ratelimit:per-sender"));
        }
        assertThat(nextHop.deliveries()).hasSize(3);
    }

    @Test
    void refusesConnectionsPastAConnectionRateWith421() throws Exception {
        LimitSpec perIp =
                new LimitSpec(
                        "per-ip",
                        Stage.CONNECT,
                        LimitSpec.Key.CLIENT_IP,
                        32,
                        128,
                        1,
                        Duration.ofHours(1),
                        LimitSpec.Cost.COUNT,
                        LimitSpec.Scope.LOCAL,
                        false);
        RateLimiter limiter = RateLimiter.builder(List.of(perIp)).build();
        try (RelayUnderTest relay =
                new RelayUnderTest(
                        TestFilter.relayingFor("example.com"), limiter, nextHop.port())) {
            try (SmtpWire first = SmtpWire.open(relay.port())) {
                first.send("QUIT");
                first.expect("221 ");
            }
            try (SmtpWire second = new SmtpWire(relay.port())) {
                second.expect("421 4.7.0 ");
                assertThat(second.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void twoRelaysSharingOneRedisHoldOneCombinedLimitAndFallBackWhenRedisIsGone() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            RedisSettings settings =
                    RedisSettings.parse(redis.uri()).withTimeout(Duration.ofMillis(500));
            LimitSpec limit = perSender(3, LimitSpec.Scope.FLEET);
            try (RelayUnderTest a =
                            new RelayUnderTest(
                                    TestFilter.relayingFor("example.com"),
                                    RateLimiter.builder(List.of(limit)).redis(settings).build(),
                                    nextHop.port());
                    RelayUnderTest b =
                            new RelayUnderTest(
                                    TestFilter.relayingFor("example.com"),
                                    RateLimiter.builder(List.of(limit)).redis(settings).build(),
                                    nextHop.port())) {
                int accepted = 0;
                for (int i = 0; i < 4; i++) {
                    accepted += send(a, "fleet@sender.example").startsWith("250") ? 1 : 0;
                    accepted += send(b, "fleet@sender.example").startsWith("250") ? 1 : 0;
                }
                assertThat(accepted).as("accepted by the fleet in total").isEqualTo(3);

                redis.stop();
                // Redis gone: each node keeps serving from its own buckets (fresh ones, so it
                // accepts).
                assertThat(send(a, "outage@sender.example")).startsWith("250 ");
                assertThat(send(b, "outage@sender.example")).startsWith("250 ");

                redis.restart();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                // The nodes probe Redis with backoff; poll (bounded) until both count in Redis
                // again.
                int shared = 0;
                while (System.nanoTime() < deadline && shared < 2) {
                    shared = (sharedAgain(a) ? 1 : 0) + (sharedAgain(b) ? 1 : 0);
                }
                assertThat(shared).isEqualTo(2);
                int afterRestart = 0;
                for (int i = 0; i < 3; i++) {
                    afterRestart += send(a, "again@sender.example").startsWith("250") ? 1 : 0;
                    afterRestart += send(b, "again@sender.example").startsWith("250") ? 1 : 0;
                }
                assertThat(afterRestart)
                        .as("accepted by the fleet after Redis came back")
                        .isEqualTo(3);
            }
        }
        assertThat(nextHop.deliveries()).hasSize(3 + 2 + 3);
    }

    /** True once a relay's limiter is counting in Redis again; asking also triggers a due probe. */
    private static boolean sharedAgain(RelayUnderTest relay) {
        return relay.limiter().fleetHealthy();
    }
}
