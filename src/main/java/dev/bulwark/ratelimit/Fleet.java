package dev.bulwark.ratelimit;

import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The Redis side of fleet-wide limits: one Lettuce connection, bucket4j's proxy manager over it,
 * and whether Redis is usable right now.
 *
 * <p>States: <em>healthy</em> (fleet limits are counted in Redis) and <em>degraded</em> (they are
 * counted in the node's local buckets). Any failed or timed-out Redis call moves to degraded. While
 * degraded no mail waits for Redis: a probe (reconnect if needed, then PING) runs asynchronously
 * when due, first {@code probeMin} after the failure, then doubling up to {@code probeMax}; a
 * successful probe moves back to healthy. Each change of state logs one line.
 *
 * <p>Lettuce's own reconnection is off so that there is one retry policy, driven by the injected
 * clock, and commands issued while disconnected fail at once instead of queueing.
 */
final class Fleet implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RateLimiter.class);
    private static final RedisCodec<String, byte[]> CODEC =
            RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    /**
     * Redis keeps a bucket this long after it would be full again, to absorb clock skew between
     * nodes.
     */
    private static final Duration KEEP_AFTER_FULL = Duration.ofSeconds(60);

    private record Connected(
            StatefulRedisConnection<String, byte[]> connection, ProxyManager<String> proxy) {}

    private final RedisSettings settings;
    private final TimeMeter time;
    private final RedisClient client;
    private final RedisURI uri;

    private final ReentrantLock stateLock = new ReentrantLock();
    private volatile boolean healthy;
    private volatile Connected connected;
    // Guarded by stateLock.
    private long nextProbeNanos;
    private long backoffNanos;
    private long downSinceNanos;
    private String lastProblem = "";

    private final AtomicBoolean probing = new AtomicBoolean();
    private final LongAdder errors = new LongAdder();
    private final LongAdder outages = new LongAdder();

    Fleet(RedisSettings settings, TimeMeter time) {
        this.settings = settings;
        this.time = time;
        this.uri = uri(settings);
        this.client = RedisClient.create();
        client.setOptions(options(settings));
        long now = time.currentTimeNanos();
        this.downSinceNanos = now;
        this.backoffNanos = settings.probeMin().toNanos();
        this.nextProbeNanos = now;
    }

    private static RedisURI uri(RedisSettings s) {
        RedisURI.Builder b =
                RedisURI.builder()
                        .withHost(s.host())
                        .withPort(s.port())
                        .withDatabase(s.database())
                        .withSsl(s.tls())
                        .withVerifyPeer(s.tls())
                        .withTimeout(s.timeout())
                        .withClientName("bulwark-ratelimit");
        if (s.password().isPresent()) {
            if (s.username().isPresent()) {
                b.withAuthentication(s.username().get(), s.password().get());
            } else {
                b.withPassword(s.password().get().toCharArray());
            }
        }
        return b.build();
    }

    private static ClientOptions options(RedisSettings s) {
        ClientOptions.Builder b =
                ClientOptions.builder()
                        .autoReconnect(false)
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                        .socketOptions(
                                SocketOptions.builder()
                                        .connectTimeout(s.connectTimeout())
                                        .keepAlive(true)
                                        .build())
                        .timeoutOptions(TimeoutOptions.enabled(s.timeout()));
        s.trustedCertificates()
                .ifPresent(
                        pem ->
                                b.sslOptions(
                                        SslOptions.builder()
                                                .jdkSslProvider()
                                                .trustManager(pem.toFile())
                                                .build()));
        return b.build();
    }

    private ProxyManager<String> proxyFor(StatefulRedisConnection<String, byte[]> connection) {
        return Bucket4jLettuce.casBasedBuilder(connection)
                .clientClock(time)
                .requestTimeout(settings.timeout())
                .expirationAfterWrite(
                        ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                                KEEP_AFTER_FULL))
                .build();
    }

    /**
     * Connects (bounded by the connect timeout plus one call timeout) so that a node whose Redis is
     * up starts healthy; a node whose Redis is down starts degraded and probes later.
     */
    void start() {
        long bound = settings.connectTimeout().plus(settings.timeout()).plusSeconds(1).toMillis();
        try {
            probe().get(bound, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // probe() records its own failures; a timeout here leaves the state degraded.
        }
        stateLock.lock();
        try {
            if (healthy) {
                LOG.info("Fleet-wide rate limits use Redis at {}", settings.endpoint());
            } else {
                outages.increment();
                LOG.warn(
                        "Rate-limit Redis at {} is unreachable ({}): fleet-wide limits use this"
                                + " node's local buckets until it answers",
                        settings.endpoint(),
                        lastProblem);
            }
        } finally {
            stateLock.unlock();
        }
    }

    /**
     * The proxy manager when Redis is usable; otherwise empty (and a probe starts if one is due).
     */
    Optional<ProxyManager<String>> proxy() {
        Connected c = connected;
        if (healthy && c != null) {
            return Optional.of(c.proxy());
        }
        maybeProbe();
        return Optional.empty();
    }

    /**
     * Whether Redis is usable; reading it also starts a due probe, so an idle node recovers when
     * scraped.
     */
    boolean healthy() {
        if (!healthy) {
            maybeProbe();
        }
        return healthy;
    }

    /** A Redis call failed or timed out: go degraded (logging once) and probe later. */
    void failed(Throwable problem) {
        errors.increment();
        long now = time.currentTimeNanos();
        stateLock.lock();
        try {
            lastProblem = describe(problem);
            if (!healthy) {
                return;
            }
            healthy = false;
            outages.increment();
            downSinceNanos = now;
            backoffNanos = settings.probeMin().toNanos();
            nextProbeNanos = now + backoffNanos;
            LOG.warn(
                    "Rate-limit Redis at {} failed ({}): fleet-wide limits use this node's local"
                            + " buckets until it answers again",
                    settings.endpoint(),
                    lastProblem);
        } finally {
            stateLock.unlock();
        }
    }

    private void maybeProbe() {
        long now = time.currentTimeNanos();
        stateLock.lock();
        try {
            if (healthy || now - nextProbeNanos < 0) {
                return;
            }
        } finally {
            stateLock.unlock();
        }
        if (probing.compareAndSet(false, true)) {
            probe(); // recovered() or stillDown() clears the flag
        }
    }

    /** Reconnects if the connection is gone, then PINGs; never blocks the caller. */
    private CompletableFuture<Void> probe() {
        try {
            return probeAsync();
        } catch (RuntimeException e) {
            // Whatever Lettuce throws before it hands out a future is one more failed probe.
            stillDown(e);
            return CompletableFuture.completedFuture(null);
        }
    }

    private CompletableFuture<Void> probeAsync() {
        Connected current = connected;
        CompletableFuture<Connected> ready;
        if (current != null && current.connection().isOpen()) {
            ready = CompletableFuture.completedFuture(current);
        } else {
            if (current != null) {
                current.connection().closeAsync();
            }
            ready =
                    client.connectAsync(CODEC, uri)
                            .toCompletableFuture()
                            .thenApply(
                                    connection -> {
                                        Connected fresh =
                                                new Connected(connection, proxyFor(connection));
                                        connected = fresh;
                                        return fresh;
                                    });
        }
        return ready.thenCompose(c -> c.connection().async().ping().toCompletableFuture())
                .handle(
                        (pong, problem) -> {
                            if (problem == null) {
                                recovered();
                            } else {
                                stillDown(problem);
                            }
                            return null;
                        });
    }

    private void recovered() {
        long now = time.currentTimeNanos();
        stateLock.lock();
        try {
            probing.set(false);
            if (healthy) {
                return;
            }
            healthy = true;
            backoffNanos = settings.probeMin().toNanos();
            if (outages.sum() > 0) {
                LOG.info(
                        "Rate-limit Redis at {} answers again after {}: fleet-wide limits are"
                                + " shared again",
                        settings.endpoint(),
                        Duration.ofNanos(now - downSinceNanos));
            }
        } finally {
            stateLock.unlock();
        }
    }

    private void stillDown(Throwable problem) {
        long now = time.currentTimeNanos();
        stateLock.lock();
        try {
            lastProblem = describe(problem);
            nextProbeNanos = now + backoffNanos;
            backoffNanos = Math.min(backoffNanos * 2, settings.probeMax().toNanos());
            probing.set(
                    false); // only now, so no second probe starts before the next one is scheduled
        } finally {
            stateLock.unlock();
        }
        errors.increment();
    }

    private static String describe(Throwable t) {
        Throwable cause = t;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String text = text(cause);
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        // The root cause (refused, TLS handshake, NOAUTH) is what an operator needs to see.
        return root == cause ? text : text + " <- " + text(root);
    }

    private static String text(Throwable t) {
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /** When the next probe is due, on the injected clock (for tests). */
    long nextProbeNanos() {
        stateLock.lock();
        try {
            return nextProbeNanos;
        } finally {
            stateLock.unlock();
        }
    }

    /** Failed Redis calls and probes since start. */
    long errors() {
        return errors.sum();
    }

    /** Times Redis became unusable (including being unreachable at start). */
    long outages() {
        return outages.sum();
    }

    String endpoint() {
        return settings.endpoint();
    }

    String keyPrefix() {
        return settings.keyPrefix();
    }

    @Override
    public void close() {
        // Shutting the client down closes its connections; closing one first makes Lettuce warn.
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
