package dev.bulwark.ratelimit;

import dev.bulwark.check.Stage;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.ratelimit.LimitSpec.Key;
import dev.bulwark.ratelimit.LimitSpec.Scope;
import dev.bulwark.testing.RedisServer;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Cost of rate-limit checks: one limit in process, in Redis, and in process because Redis is down
 * (the fallback path); and a "message" of three checks (connect per client IP, mail per sender
 * domain, rcpt per recipient domain) against none, local and Redis limits. Run with {@code mvn -B
 * -Pbench clean test-compile exec:exec@bench}; needs {@code redis-server}.
 *
 * <p>Limits are large enough that every check is allowed (the common path); keys rotate over 1,000
 * client addresses and 100 domains so the local maps and Redis hold many buckets, as in service.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
public class RateLimiterBenchmark {

    private static final int CLIENTS = 1_000;
    private static final int DOMAINS = 100;
    private static final long PLENTY = 1_000_000_000L;

    /** where the limits live: in process, in Redis, or Redis configured but down (fallback). */
    @Param({"none", "local", "redis", "redis-down"})
    public String backend;

    private RedisServer redis;
    private RateLimiter one;
    private RateLimiter three;
    private Subject[] connects;
    private Subject[] rcpts;
    private int next;

    @Setup(Level.Trial)
    public void start() throws UnknownHostException {
        Scope scope = backend.equals("local") || backend.equals("none") ? Scope.LOCAL : Scope.FLEET;
        List<LimitSpec> oneLimit =
                backend.equals("none")
                        ? List.of()
                        : List.of(spec("per-ip", Stage.CONNECT, Key.CLIENT_IP, scope));
        List<LimitSpec> threeLimits =
                backend.equals("none")
                        ? List.of()
                        : List.of(
                                spec("per-ip", Stage.CONNECT, Key.CLIENT_IP, scope),
                                spec("per-sender-domain", Stage.MAIL, Key.SENDER_DOMAIN, scope),
                                spec("per-rcpt-domain", Stage.RCPT, Key.RECIPIENT_DOMAIN, scope));
        RateLimiter.Builder b1 = RateLimiter.builder(oneLimit);
        RateLimiter.Builder b3 = RateLimiter.builder(threeLimits);
        if (backend.startsWith("redis")) {
            String uri;
            if (backend.equals("redis")) {
                redis = RedisServer.start();
                uri = redis.uri();
            } else {
                uri = "redis://127.0.0.1:" + RedisServer.freePort(); // nothing listens there
            }
            // A generous timeout: on a busy machine a 100 ms hiccup would switch the run to local
            // buckets.
            RedisSettings settings = RedisSettings.parse(uri).withTimeout(Duration.ofSeconds(2));
            b1.redis(settings);
            b3.redis(settings);
        }
        one = b1.build();
        three = b3.build();
        connects = new Subject[CLIENTS];
        rcpts = new Subject[CLIENTS];
        for (int i = 0; i < CLIENTS; i++) {
            connects[i] =
                    Subject.of(
                            InetAddress.getByAddress(
                                    new byte[] {10, 1, (byte) (i >> 8), (byte) i}));
            rcpts[i] =
                    connects[i]
                            .withSender(
                                    Mailbox.of("s" + i + "@sender" + (i % DOMAINS) + ".example"))
                            .withRecipient(
                                    Mailbox.of("r" + i + "@rcpt" + (i % DOMAINS) + ".example"));
        }
    }

    private static LimitSpec spec(String id, Stage stage, Key key, Scope scope) {
        return new LimitSpec(
                id,
                stage,
                key,
                24,
                64,
                PLENTY,
                Duration.ofHours(1),
                LimitSpec.Cost.COUNT,
                scope,
                false);
    }

    @TearDown(Level.Trial)
    public void stop() {
        long fallbacks = one.stats().fleetFallbacks() + three.stats().fleetFallbacks();
        if (backend.equals("redis") && fallbacks > 0) {
            throw new IllegalStateException(
                    fallbacks + " checks fell back to local buckets: the 'redis' figures are void");
        }
        one.close();
        three.close();
        if (redis != null) {
            redis.stop();
        }
    }

    /** One check of one limit. */
    @Benchmark
    public Consumption oneCheck() {
        int i = next++ % CLIENTS;
        return one.consume(Stage.CONNECT, connects[i]);
    }

    /** The three checks one single-recipient message passes (connect, mail, rcpt). */
    @Benchmark
    public boolean messageWithThreeLimits() {
        int i = next++ % CLIENTS;
        Subject rcpt = rcpts[i];
        return three.consume(Stage.CONNECT, connects[i]).allowed()
                & three.consume(Stage.MAIL, rcpt).allowed()
                & three.consume(Stage.RCPT, rcpt).allowed();
    }
}
