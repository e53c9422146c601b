package dev.bulwark.ops;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Whether the node should receive mail: its self-verification passed and the next hop answers. The
 * next-hop probe opens a real SMTP connection, so its result is kept for a short while; a scraper
 * or load balancer asking every second then costs the next hop one connection per period, and
 * concurrent askers share one probe.
 */
public final class Readiness {

    /** The answer: ready, or not and why. */
    public record Status(boolean ready, Optional<String> problem) {

        public Status {
            Objects.requireNonNull(problem, "problem");
        }

        static final Status READY = new Status(true, Optional.empty());

        static Status notReady(String problem) {
            return new Status(false, Optional.of(problem));
        }
    }

    /** How long a next-hop probe result is reused by default. */
    public static final Duration DEFAULT_PROBE_CACHE = Duration.ofSeconds(2);

    private final Supplier<Optional<String>> selfCheckProblem;
    private final BooleanSupplier nextHopAnswers;
    private final long cacheNanos;
    private final LongSupplier nanoTime;
    private final ReentrantLock probing = new ReentrantLock();
    private long probedAt;
    private boolean probed;
    private boolean lastProbe;

    private Readiness(
            Supplier<Optional<String>> selfCheckProblem,
            BooleanSupplier nextHopAnswers,
            Duration cache,
            LongSupplier nanoTime) {
        this.selfCheckProblem = Objects.requireNonNull(selfCheckProblem, "selfCheckProblem");
        this.nextHopAnswers = Objects.requireNonNull(nextHopAnswers, "nextHopAnswers");
        this.cacheNanos = cache.toNanos();
        this.nanoTime = nanoTime;
    }

    /**
     * @param selfVerified whether the runtime's self-verification against its manifest passed
     * @param nextHopAnswers a probe of the next hop, such as {@code NextHop::probe}; may block for
     *     the next hop's connect timeout
     */
    public static Readiness of(BooleanSupplier selfVerified, BooleanSupplier nextHopAnswers) {
        return of(selfVerified, nextHopAnswers, DEFAULT_PROBE_CACHE, System::nanoTime);
    }

    /** As {@link #of(BooleanSupplier, BooleanSupplier)}, with the cache period and clock given. */
    public static Readiness of(
            BooleanSupplier selfVerified,
            BooleanSupplier nextHopAnswers,
            Duration probeCache,
            LongSupplier nanoTime) {
        Objects.requireNonNull(selfVerified, "selfVerified");
        return withSelfCheck(
                () ->
                        selfVerified.getAsBoolean()
                                ? Optional.empty()
                                : Optional.of(
                                        "self-verification against the manifest has not passed"),
                nextHopAnswers,
                probeCache,
                nanoTime);
    }

    /**
     * Readiness whose self-check says what is wrong: {@code selfCheckProblem} gives the reason the
     * node must not receive mail (a runtime file that differs from the manifest, named), or empty.
     * It is asked on every check, so it must be cheap: a stored result, not a new pass.
     */
    public static Readiness withSelfCheck(
            Supplier<Optional<String>> selfCheckProblem,
            BooleanSupplier nextHopAnswers,
            Duration probeCache,
            LongSupplier nanoTime) {
        if (probeCache.isNegative()) {
            throw new IllegalArgumentException(
                    probeCache + " is not a valid probe cache period: must not be negative");
        }
        return new Readiness(selfCheckProblem, nextHopAnswers, probeCache, nanoTime);
    }

    /** Checks both conditions; self-verification first, since without it the next hop is moot. */
    public Status check() {
        Optional<String> problem = selfCheckProblem.get();
        if (problem.isPresent()) {
            return Status.notReady(problem.get());
        }
        if (!nextHopAnswers()) {
            return Status.notReady("next hop does not answer with a 220 banner");
        }
        return Status.READY;
    }

    private boolean nextHopAnswers() {
        // Held across the probe on purpose: callers that arrive meanwhile wait and reuse its result
        // instead of opening connections of their own. A ReentrantLock does not pin virtual
        // threads.
        probing.lock();
        try {
            long now = nanoTime.getAsLong();
            if (!probed || now - probedAt >= cacheNanos) {
                boolean answer;
                try {
                    answer = nextHopAnswers.getAsBoolean();
                } catch (RuntimeException e) {
                    answer = false;
                }
                lastProbe = answer;
                probed = true;
                probedAt = nanoTime.getAsLong();
            }
            return lastProbe;
        } finally {
            probing.unlock();
        }
    }
}
