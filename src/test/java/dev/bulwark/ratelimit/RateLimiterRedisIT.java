package dev.bulwark.ratelimit;

import static dev.bulwark.ratelimit.Limits.fleet;
import static dev.bulwark.ratelimit.Limits.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.check.Stage;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.ratelimit.LimitSpec.Key;
import dev.bulwark.testing.RedisServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Fleet-wide limits against a real redis-server this test starts and stops itself. */
class RateLimiterRedisIT {

    private static final Duration PROBE_MIN = Duration.ofSeconds(1);

    private final ManualTime time = new ManualTime();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
    }

    private RedisServer redis(RedisServer server) {
        resources.add(server);
        return server;
    }

    /** One node: its own limiter, sharing the test's clock and the given Redis. */
    private RateLimiter node(String redisUri, Duration timeout, int maxKeys, LimitSpec... limits) {
        RedisSettings settings =
                RedisSettings.parse(redisUri)
                        .withTimeout(timeout)
                        .withConnectTimeout(Duration.ofSeconds(2))
                        .withProbeBackoff(PROBE_MIN, Duration.ofSeconds(8));
        RateLimiter limiter =
                RateLimiter.builder(List.of(limits))
                        .timeMeter(time)
                        .maxKeysPerLimit(maxKeys)
                        .redis(settings)
                        .build();
        resources.add(limiter);
        return limiter;
    }

    private RateLimiter node(String redisUri, LimitSpec... limits) {
        // Generous timeout: a spurious timeout on a busy CI machine would turn a shared count
        // local.
        return node(redisUri, Duration.ofSeconds(2), 1_000, limits);
    }

    private static Subject client(String literal) {
        try {
            return Subject.of(InetAddress.getByName(literal));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static Subject client(int i) {
        try {
            return Subject.of(
                    InetAddress.getByAddress(
                            new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i}));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within 15 s: " + what);
            }
            LockSupport.parkNanos(
                    Duration.ofMillis(2).toNanos()); // poll interval, not a wait for time to pass
        }
    }

    /** Makes the next probe due and waits until it has found Redis. */
    private void awaitShared(RateLimiter node) {
        time.advance(Duration.ofSeconds(8));
        await("the node uses Redis again", node::fleetHealthy);
    }

    @Test
    void twoNodesSharingOneRedisEnforceOneCombinedLimit() {
        RedisServer server = redis(RedisServer.start());
        LimitSpec perDomain =
                fleet(
                        limit(
                                "fleet-per-domain",
                                Stage.MAIL,
                                Key.SENDER_DOMAIN,
                                10,
                                Duration.ofHours(1)));
        RateLimiter a = node(server.uri(), perDomain);
        RateLimiter b = node(server.uri(), perDomain);
        assertThat(a.fleetHealthy()).isTrue();
        assertThat(b.fleetHealthy()).isTrue();

        Subject mail = client("192.0.2.1").withSender(Mailbox.of("bulk@example.com"));
        int allowed = 0;
        for (int i = 0; i < 30; i++) {
            Consumption o = (i % 2 == 0 ? a : b).consume(Stage.MAIL, mail);
            assertThat(o.fleetDegraded()).isFalse();
            allowed += o.allowed() ? 1 : 0;
        }
        assertThat(allowed).as("10 in total across both nodes, not 10 each").isEqualTo(10);

        String keys = server.command("KEYS", "bulwark:rl:*");
        assertThat(keys.lines())
                .singleElement()
                .asString()
                .startsWith("bulwark:rl:fleet-per-domain:")
                .endsWith(":example.com");
        assertThat(Long.parseLong(server.command("PTTL", keys.strip())))
                .as("idle buckets expire in Redis")
                .isPositive();

        // 10 per hour comes back as one every 6 minutes, for the fleet as a whole.
        time.advance(Duration.ofMinutes(6));
        assertThat(b.consume(Stage.MAIL, mail).allowed()).isTrue();
        assertThat(a.consume(Stage.MAIL, mail).allowed()).isFalse();
        assertThat(a.stats().localKeys()).as("nothing counted locally").isZero();
        assertThat(a.stats().fleetFallbacks() + b.stats().fleetFallbacks()).isZero();
    }

    @Test
    void aRefusedEventGivesBackTheTokensItTookInRedis() {
        RedisServer server = redis(RedisServer.start());
        LimitSpec global =
                fleet(limit("fleet-global", Stage.MAIL, Key.GLOBAL, 10, Duration.ofHours(1)));
        LimitSpec perSender =
                fleet(limit("fleet-per-sender", Stage.MAIL, Key.SENDER, 1, Duration.ofHours(1)));
        RateLimiter a = node(server.uri(), global, perSender);
        RateLimiter b = node(server.uri(), global, perSender);
        Subject flood = client("192.0.2.1").withSender(Mailbox.of("flood@example.com"));
        assertThat(a.consume(Stage.MAIL, flood).allowed()).isTrue();
        for (int i = 0; i < 20; i++) {
            assertThat(a.consume(Stage.MAIL, flood).refusal().orElseThrow().limit().id())
                    .isEqualTo("fleet-per-sender");
        }
        for (int i = 0; i < 9; i++) {
            Subject other = client("192.0.2.2").withSender(Mailbox.of("user" + i + "@example.org"));
            assertThat(b.consume(Stage.MAIL, other).allowed()).as("sender %d", i).isTrue();
        }
        Subject late = client("192.0.2.2").withSender(Mailbox.of("late@example.org"));
        assertThat(b.consume(Stage.MAIL, late).refusal().orElseThrow().limit().id())
                .isEqualTo("fleet-global");
        assertThat(a.stats().refundsLost()).isZero();
    }

    @Test
    void localLimitsStayPerNodeWhileFleetLimitsAreShared() {
        RedisServer server = redis(RedisServer.start());
        LimitSpec perIpLocal =
                limit("per-ip", Stage.CONNECT, Key.CLIENT_IP, 3, Duration.ofHours(1));
        RateLimiter a =
                node(
                        server.uri(),
                        perIpLocal,
                        fleet(
                                limit(
                                        "fleet-global",
                                        Stage.CONNECT,
                                        Key.GLOBAL,
                                        100,
                                        Duration.ofHours(1))));
        RateLimiter b =
                node(
                        server.uri(),
                        perIpLocal,
                        fleet(
                                limit(
                                        "fleet-global",
                                        Stage.CONNECT,
                                        Key.GLOBAL,
                                        100,
                                        Duration.ofHours(1))));
        Subject c = client("192.0.2.1");
        int allowed = 0;
        for (int i = 0; i < 10; i++) {
            allowed += a.consume(Stage.CONNECT, c).allowed() ? 1 : 0;
            allowed += b.consume(Stage.CONNECT, c).allowed() ? 1 : 0;
        }
        assertThat(allowed).as("3 per node").isEqualTo(6);
        assertThat(server.command("KEYS", "bulwark:rl:*").lines())
                .singleElement()
                .asString()
                .contains(":fleet-global:");
    }

    @Test
    void redisStoppedMidTestFallsBackToLocalBucketsAndSharesAgainWhenRestarted() {
        RedisServer server = redis(RedisServer.start());
        LimitSpec global =
                fleet(limit("fleet-global", Stage.CONNECT, Key.GLOBAL, 5, Duration.ofHours(1)));
        RateLimiter a = node(server.uri(), global);
        RateLimiter b = node(server.uri(), global);
        Subject c = client("192.0.2.1");
        for (int i = 0; i < 3; i++) {
            assertThat(a.consume(Stage.CONNECT, c).allowed()).isTrue();
        }
        assertThat(b.consume(Stage.CONNECT, c).allowed()).isTrue();
        assertThat(b.consume(Stage.CONNECT, c).allowed()).isTrue();
        assertThat(b.consume(Stage.CONNECT, c).allowed()).as("shared: 5 used").isFalse();

        server.kill();

        Consumption first = a.consume(Stage.CONNECT, c);
        assertThat(first.fleetDegraded()).isTrue();
        assertThat(first.allowed()).as("local fallback bucket starts full").isTrue();
        assertThat(a.fleetHealthy()).isFalse();
        int allowedLocally = 1;
        for (int i = 0; i < 20; i++) {
            Consumption o = a.consume(Stage.CONNECT, c);
            assertThat(o.fleetDegraded()).isTrue();
            allowedLocally += o.allowed() ? 1 : 0;
        }
        assertThat(allowedLocally).as("the limit still holds, per node").isEqualTo(5);
        RateLimiter.Stats down = a.stats();
        assertThat(down.fleetOutages()).isEqualTo(1);
        assertThat(down.fleetFallbacks()).isEqualTo(21);
        assertThat(down.refused()).containsEntry("fleet-global", 16L);

        server.restart();
        awaitShared(a);
        Consumption bAfter = b.consume(Stage.CONNECT, c);
        assertThat(bAfter.fleetDegraded())
                .as("b only now sees its old connection is gone")
                .isTrue();
        awaitShared(b);

        int allowedShared = 0;
        for (int i = 0; i < 12; i++) {
            Consumption o = (i % 2 == 0 ? a : b).consume(Stage.CONNECT, c);
            assertThat(o.fleetDegraded()).isFalse();
            allowedShared += o.allowed() ? 1 : 0;
        }
        assertThat(allowedShared)
                .as("one shared count again (the restarted Redis starts empty)")
                .isEqualTo(5);
        assertThat(a.stats().fleetOutages()).isEqualTo(1);
    }

    @Test
    void slowRedisFallsBackWithinTheTimeoutAndNeverThrows() {
        RedisServer server = redis(RedisServer.start());
        LimitSpec global =
                fleet(limit("fleet-global", Stage.CONNECT, Key.GLOBAL, 100, Duration.ofHours(1)));
        RateLimiter a =
                node(
                        server.uri(),
                        Duration.ofMillis(500),
                        1_000,
                        global); // short, yet safe on a busy machine
        assertThat(a.consume(Stage.CONNECT, client("192.0.2.1")).fleetDegraded()).isFalse();

        // Scripts (bucket4j's compare-and-swap) block while writes are paused; PING does not.
        assertThat(server.command("CLIENT", "PAUSE", "20000", "WRITE")).isEqualTo("OK");
        try {
            Consumption slow = a.consume(Stage.CONNECT, client("192.0.2.1"));
            assertThat(slow.fleetDegraded()).isTrue();
            assertThat(slow.allowed()).isTrue();
            assertThat(a.fleetHealthy()).isFalse();
            assertThat(a.consume(Stage.CONNECT, client("192.0.2.1")).fleetDegraded())
                    .as("no second wait: degraded calls go straight to local buckets")
                    .isTrue();
        } finally {
            server.command("CLIENT", "UNPAUSE");
        }
        awaitShared(a);
        assertThat(a.consume(Stage.CONNECT, client("192.0.2.1")).fleetDegraded()).isFalse();
        assertThat(a.stats().fleetErrors()).isPositive();
    }

    @Test
    void nodeStartsWhileRedisIsDownAndJoinsWhenItComesUp() {
        int port = RedisServer.freePort();
        LimitSpec global =
                fleet(limit("fleet-global", Stage.CONNECT, Key.GLOBAL, 2, Duration.ofHours(1)));
        RateLimiter a = node("redis://127.0.0.1:" + port, global);
        assertThat(a.fleetConfigured()).isTrue();
        assertThat(a.fleetHealthy()).isFalse();
        assertThat(a.consume(Stage.CONNECT, client("192.0.2.1")).fleetDegraded()).isTrue();

        RedisServer server = redis(RedisServer.startOn(port));
        RateLimiter b = node(server.uri(), global);
        awaitShared(a);
        int allowed = 0;
        for (int i = 0; i < 6; i++) {
            Consumption o = (i % 2 == 0 ? a : b).consume(Stage.CONNECT, client("192.0.2.1"));
            assertThat(o.fleetDegraded()).isFalse();
            allowed += o.allowed() ? 1 : 0;
        }
        assertThat(allowed).isEqualTo(2);
    }

    @Test
    void tenThousandDistinctClientsDoNotGrowTheLocalMapPastItsBound() {
        RedisServer server = redis(RedisServer.start());
        LimitSpec perIpLocal =
                limit("per-ip", Stage.CONNECT, Key.CLIENT_IP, 5, Duration.ofHours(1));
        LimitSpec perIpFleet =
                fleet(limit("fleet-per-ip", Stage.CONNECT, Key.CLIENT_IP, 5, Duration.ofHours(1)));
        RateLimiter a = node(server.uri(), Duration.ofSeconds(2), 1_000, perIpLocal, perIpFleet);

        for (int i = 0; i < 10_000; i++) {
            Consumption o = a.consume(Stage.CONNECT, client(i));
            assertThat(o.allowed()).isTrue();
            assertThat(o.fleetDegraded()).isFalse();
        }
        RateLimiter.Stats shared = a.stats();
        assertThat(shared.localKeys()).as("only the local limit's bounded map").isEqualTo(1_000);
        assertThat(shared.localKeysEvictedEarly()).isEqualTo(9_000);
        assertThat(server.command("DBSIZE"))
                .as("the fleet limit's buckets live in Redis")
                .isEqualTo("10000");

        server.kill();
        for (int i = 10_000; i < 20_000; i++) {
            assertThat(a.consume(Stage.CONNECT, client(i)).allowed()).isTrue();
        }
        RateLimiter.Stats degraded = a.stats();
        assertThat(degraded.localKeys())
                .as("local map plus fallback map, each at most 1000")
                .isEqualTo(2_000);
        assertThat(degraded.fleetFallbacks()).isEqualTo(10_000);
    }

    @Test
    void tlsRedisIsReachedWithRedissAndATrustedCertificate(@TempDir Path dir) throws Exception {
        Path cert = dir.resolve("redis.crt");
        Path key = dir.resolve("redis.key");
        Process openssl =
                new ProcessBuilder(
                                "openssl",
                                "req",
                                "-x509",
                                "-newkey",
                                "rsa:2048",
                                "-nodes",
                                "-days",
                                "1",
                                "-subj",
                                "/CN=localhost",
                                "-addext",
                                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                                "-keyout",
                                key.toString(),
                                "-out",
                                cert.toString())
                        .redirectErrorStream(true)
                        .start();
        String opensslOutput =
                new String(
                        openssl.getInputStream().readAllBytes(),
                        java.nio.charset.StandardCharsets.UTF_8);
        assertThat(openssl.waitFor()).as(opensslOutput).isZero();
        RedisServer server = redis(RedisServer.startTls(cert, key));
        LimitSpec global =
                fleet(limit("fleet-global", Stage.CONNECT, Key.GLOBAL, 1, Duration.ofHours(1)));
        String uri = "rediss://127.0.0.1:" + server.port();

        RateLimiter trusting =
                RateLimiter.builder(List.of(global))
                        .timeMeter(time)
                        .redis(
                                RedisSettings.parse(uri)
                                        .withTimeout(Duration.ofSeconds(10))
                                        .withTrustedCertificates(cert))
                        .build();
        resources.add(trusting);
        assertThat(trusting.fleetHealthy()).isTrue();
        assertThat(trusting.consume(Stage.CONNECT, client("192.0.2.1")).allowed()).isTrue();
        assertThat(trusting.consume(Stage.CONNECT, client("192.0.2.1")).allowed()).isFalse();

        RateLimiter untrusting =
                node(uri, global); // JDK default trust store: the self-signed certificate fails
        assertThat(untrusting.fleetHealthy()).isFalse();
        assertThat(untrusting.consume(Stage.CONNECT, client("192.0.2.1")).fleetDegraded()).isTrue();
    }

    @Test
    void passwordProtectedRedisIsReachedWithTheUriPassword() {
        RedisServer server = redis(RedisServer.start("--requirepass", "s3cret"));
        LimitSpec global =
                fleet(limit("fleet-global", Stage.CONNECT, Key.GLOBAL, 1, Duration.ofHours(1)));
        RateLimiter a = node("redis://:s3cret@127.0.0.1:" + server.port() + "/3", global);
        assertThat(a.fleetHealthy()).isTrue();
        assertThat(a.consume(Stage.CONNECT, client("192.0.2.1")).allowed()).isTrue();
        assertThat(a.consume(Stage.CONNECT, client("192.0.2.1")).allowed()).isFalse();

        RateLimiter wrong = node("redis://:wrong@127.0.0.1:" + server.port(), global);
        assertThat(wrong.fleetHealthy()).isFalse();
        assertThat(wrong.consume(Stage.CONNECT, client("192.0.2.1")).fleetDegraded()).isTrue();
    }
}
