package dev.bulwark.ratelimit;

import dev.bulwark.check.Stage;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.proxy.ProxyManager;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Enforces the policy's rate limits: immutable configuration, thread-safe, one instance shared by
 * every SMTP session of a node. Build it once at start with {@link #builder}, close it at shutdown.
 *
 * <h2>Calls, per stage</h2>
 *
 * The transaction flow calls {@link #consume} once per event, at the stage the limits name:
 *
 * <ul>
 *   <li>{@code CONNECT}: once per accepted connection, {@code Subject.of(client)}, before the
 *       banner.
 *   <li>{@code MAIL}: once per MAIL command the other checks accepted, {@code
 *       subject.withSender(path)}.
 *   <li>{@code RCPT}: once per recipient that passed relay domains and the policy, before the
 *       recipient is forwarded to the next hop, {@code
 *       subject.withSender(path).withRecipient(rcpt)}. Recipients the next hop then refuses stay
 *       counted: attempts are what slows a dictionary attack.
 *   <li>{@code DATA}: once per message, after the final dot and the size is known, before the
 *       message is relayed, {@code subject.withSender(path).withSize(octets)}.
 * </ul>
 *
 * A stage without limits costs one map lookup. An exception from {@code consume} is a bug (for
 * example a subject without the sender at MAIL) and must be treated like any failing check: 451
 * 4.3.0 and an audit record. Redis trouble never throws.
 *
 * <h2>Replies</h2>
 *
 * When {@link Consumption#allowed()} is false, the transaction flow answers from its catalogue,
 * with a text that names no limit, key or host, and audits {@link Consumption#hits()}:
 *
 * <ul>
 *   <li>{@code CONNECT}: {@code 421 4.7.0} and close the connection.
 *   <li>{@code MAIL}: {@code 451 4.7.1} (RFC 5321 allows 451 but not 450 after MAIL).
 *   <li>{@code RCPT}: {@code 450 4.7.1} for that recipient; the transaction goes on.
 *   <li>{@code DATA}: {@code 450 4.7.1} after the final dot; nothing is relayed.
 * </ul>
 *
 * When the refusal's {@link Consumption.Exceeded#retryAfter()} is empty (one message larger than a
 * per-octet limit's whole capacity) waiting cannot help; that is a policy mistake the compiler
 * should catch, and the reply may be {@code 552 5.3.4} instead.
 *
 * <h2>Several limits at one stage</h2>
 *
 * Enforced limits are tried in a fixed order: local ones first (cheap), then fleet-wide ones, each
 * group in policy order. The first one without enough tokens refuses the event; the limits after it
 * are not consulted and the tokens the limits before it took are given back (bucket4j's {@code
 * addTokens}, never above capacity). A refused event did not happen, so it must not count against
 * other limits: otherwise a client refused by its own per-sender limit would also drain the per-IP
 * and global buckets that other clients share. Giving back is not atomic with taking: for a moment
 * another event may see fewer tokens than it should, which errs towards refusing, never towards
 * letting through more than a limit allows. Shadow limits are consulted only for events the
 * enforced limits let through, and count as if they were enforced on their own (a shadow limit
 * without tokens consumes nothing and is reported in {@link Consumption#shadowExceeded()}).
 *
 * <h2>Keys</h2>
 *
 * Client IP (textual address without zone), client subnet ({@code network/prefix} with the limit's
 * IPv4 or IPv6 prefix), sender and recipient address (local part unquoted and lower-cased, domain
 * lower-cased), sender and recipient domain, and a single key for global limits. The null sender
 * {@code <>} is keyed as {@code <>@client-address} for both sender keys.
 *
 * <h2>Where buckets live</h2>
 *
 * {@link LimitSpec.Scope#LOCAL} limits live in this process, in a bounded map per limit (see {@link
 * Builder#maxKeysPerLimit}). {@link LimitSpec.Scope#FLEET} limits live in Redis when {@link
 * Builder#redis} is set, shared by every node; without Redis they run in process like local ones.
 * If Redis fails or is slower than its timeout, fleet limits are counted in the node's local
 * buckets (each node then allows the full limit on its own) until a probe finds Redis again; see
 * {@link #fleetHealthy()}.
 */
public final class RateLimiter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RateLimiter.class);

    /** Default bound on the local buckets of one limit: about 18 MiB at ~380 bytes a bucket. */
    public static final int DEFAULT_MAX_KEYS_PER_LIMIT = 50_000;

    private record Plan(List<Limit> enforced, List<Limit> shadow, Consumption nothing) {}

    private record Attempt(
            Bucket bucket, ConsumptionProbe probe, boolean fallback, boolean remote) {}

    private final List<LimitSpec> specs;
    private final List<Limit> limits;
    private final Map<Stage, Plan> plans;
    private final Optional<Fleet> fleet;
    private final LongAdder fallbacks = new LongAdder();
    private final LongAdder refundsLost = new LongAdder();

    private RateLimiter(Builder b) {
        this.specs = List.copyOf(b.limits);
        List<String> problems = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (LimitSpec spec : specs) {
            problems.addAll(problems(spec));
            if (!ids.add(spec.id())) {
                problems.add(
                        "limit '" + spec.id() + "' is declared twice: limit ids must be unique");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
        String redisPrefix =
                b.redis.map(RedisSettings::keyPrefix).orElse(RedisSettings.DEFAULT_KEY_PREFIX);
        List<Limit> built = new ArrayList<>();
        for (LimitSpec spec : specs) {
            built.add(new Limit(spec, b.maxKeysPerLimit, b.time, redisPrefix));
        }
        this.limits = List.copyOf(built);
        Map<Stage, Plan> byStage = new EnumMap<>(Stage.class);
        for (Stage stage : Stage.values()) {
            byStage.put(stage, plan(stage, limits));
        }
        this.plans = byStage;
        boolean anyFleet = specs.stream().anyMatch(s -> s.scope() == LimitSpec.Scope.FLEET);
        if (anyFleet && b.redis.isPresent()) {
            Fleet f = new Fleet(b.redis.get(), b.time);
            f.start();
            this.fleet = Optional.of(f);
        } else {
            if (anyFleet) {
                LOG.info(
                        "No Redis configured: fleet-wide rate limits are counted by this node"
                                + " alone");
            }
            this.fleet = Optional.empty();
        }
    }

    private static Plan plan(Stage stage, List<Limit> limits) {
        List<Limit> enforced = new ArrayList<>();
        List<Limit> shadow = new ArrayList<>();
        for (LimitSpec.Scope scope : List.of(LimitSpec.Scope.LOCAL, LimitSpec.Scope.FLEET)) {
            for (Limit limit : limits) {
                if (limit.spec.stage() == stage && limit.spec.scope() == scope) {
                    (limit.spec.shadow() ? shadow : enforced).add(limit);
                }
            }
        }
        return new Plan(
                List.copyOf(enforced),
                List.copyOf(shadow),
                new Consumption(stage, Optional.empty(), List.of(), false));
    }

    /** Starts building a rate limiter for {@code limits} (in policy order). */
    public static Builder builder(List<LimitSpec> limits) {
        return new Builder(limits);
    }

    /** Configuration of a {@link RateLimiter}. */
    public static final class Builder {
        private final List<LimitSpec> limits;
        private TimeMeter time = TimeMeter.SYSTEM_MILLISECONDS;
        private int maxKeysPerLimit = DEFAULT_MAX_KEYS_PER_LIMIT;
        private Optional<RedisSettings> redis = Optional.empty();

        private Builder(List<LimitSpec> limits) {
            this.limits = List.copyOf(limits);
        }

        /**
         * The clock of every bucket and of the Redis probe backoff. It must be wall-clock based
         * (bucket4j stores the time in Redis buckets, so the nodes' clocks must agree: run NTP).
         * Default {@link TimeMeter#SYSTEM_MILLISECONDS}; tests pass a manual clock.
         */
        public Builder timeMeter(TimeMeter value) {
            this.time = Objects.requireNonNull(value, "timeMeter");
            return this;
        }

        /**
         * Most local buckets kept for one limit (default {@value
         * RateLimiter#DEFAULT_MAX_KEYS_PER_LIMIT}); a fleet limit's fallback buckets have the same
         * bound. Past it the least recently used bucket is dropped, see {@link
         * Stats#localKeysEvictedEarly()}.
         */
        public Builder maxKeysPerLimit(int value) {
            if (value < 1) {
                throw new IllegalArgumentException(
                        value + " is not a valid number of keys per limit: it must be positive");
            }
            this.maxKeysPerLimit = value;
            return this;
        }

        /** Count fleet-wide limits in this Redis. Without it they are counted in process. */
        public Builder redis(RedisSettings value) {
            this.redis = Optional.of(value);
            return this;
        }

        /** Same as {@link #redis(RedisSettings)}, for a site setting that may be absent. */
        public Builder redis(Optional<RedisSettings> value) {
            this.redis = Objects.requireNonNull(value, "redis");
            return this;
        }

        /**
         * Builds the limiter. With Redis configured and fleet-wide limits declared, connects first
         * (bounded by the connect timeout); an unreachable Redis is logged and probed later.
         *
         * @throws IllegalArgumentException listing every problem of every limit, one per line
         */
        public RateLimiter build() {
            if (!time.isWallClockBased()) {
                throw new IllegalArgumentException(
                        "the rate limiter's clock must be wall-clock based: bucket4j keeps "
                                + "times in Redis buckets, shared by nodes");
            }
            return new RateLimiter(this);
        }
    }

    /**
     * What is wrong with one limit, as "value, field, limit" sentences; empty when it is usable.
     * The policy compiler may call this to report the same problems at the limit's source position.
     */
    public static List<String> problems(LimitSpec spec) {
        List<String> out = new ArrayList<>();
        String of = " for limit '" + spec.id() + "'";
        if (spec.id().isBlank()) {
            out.add("'" + spec.id() + "' is not a valid limit id: it must not be blank");
        }
        if (spec.capacity() < 1) {
            out.add(
                    spec.capacity()
                            + " is not a valid capacity"
                            + of
                            + ": capacity must be positive");
        }
        if (spec.period().isNegative() || spec.period().isZero()) {
            out.add(
                    spec.period()
                            + " is not a valid period"
                            + of
                            + ": the period must be positive");
        } else if (spec.capacity() >= 1) {
            try {
                Bandwidth.builder()
                        .capacity(spec.capacity())
                        .refillGreedy(spec.capacity(), spec.period())
                        .build();
            } catch (IllegalArgumentException | ArithmeticException e) {
                out.add(
                        spec.capacity()
                                + " per "
                                + spec.period()
                                + " is not a valid rate"
                                + of
                                + ": "
                                + e.getMessage());
            }
        }
        if (spec.key() == LimitSpec.Key.CLIENT_SUBNET) {
            if (spec.ipv4Prefix() < 1 || spec.ipv4Prefix() > 32) {
                out.add(
                        spec.ipv4Prefix()
                                + " is not a valid IPv4 prefix length"
                                + of
                                + ": it must be 1..32");
            }
            if (spec.ipv6Prefix() < 1 || spec.ipv6Prefix() > 128) {
                out.add(
                        spec.ipv6Prefix()
                                + " is not a valid IPv6 prefix length"
                                + of
                                + ": it must be 1..128");
            }
        }
        if (!knownAt(spec.key(), spec.stage())) {
            out.add(
                    spec.key().name().toLowerCase(java.util.Locale.ROOT)
                            + " is not a valid key at stage "
                            + spec.stage().key()
                            + of
                            + ": "
                            + whereKnown(spec.key()));
        }
        if (spec.cost() == LimitSpec.Cost.BYTES && spec.stage() != Stage.DATA) {
            out.add(
                    "bytes is not a valid cost at stage "
                            + spec.stage().key()
                            + of
                            + ": the message size is known at stage data only");
        }
        return List.copyOf(out);
    }

    private static boolean knownAt(LimitSpec.Key key, Stage stage) {
        return switch (key) {
            case CLIENT_IP, CLIENT_SUBNET, GLOBAL -> true;
            case SENDER, SENDER_DOMAIN ->
                    stage == Stage.MAIL || stage == Stage.RCPT || stage == Stage.DATA;
            case RECIPIENT, RECIPIENT_DOMAIN -> stage == Stage.RCPT;
        };
    }

    private static String whereKnown(LimitSpec.Key key) {
        return switch (key) {
            case CLIENT_IP, CLIENT_SUBNET, GLOBAL -> "known at every stage";
            case SENDER, SENDER_DOMAIN -> "the sender is known at stages mail, rcpt and data";
            case RECIPIENT, RECIPIENT_DOMAIN ->
                    "the recipient is known at stage rcpt only (one check per recipient)";
        };
    }

    /**
     * Counts one event at {@code stage} against every limit of that stage (see the class comment
     * for the order, and for what happens when one refuses).
     *
     * @param subject the facts the stage's limits are keyed by: the sender from MAIL on, the
     *     recipient at RCPT, the size at DATA
     * @throws IllegalArgumentException if the subject lacks a fact a limit of the stage needs
     */
    public Consumption consume(Stage stage, Subject subject) {
        Plan plan = plans.get(stage);
        List<Limit> enforced = plan.enforced();
        List<Limit> shadows = plan.shadow();
        if (enforced.isEmpty() && shadows.isEmpty()) {
            return plan.nothing();
        }
        // Keys and costs first: a subject missing a fact throws before any bucket was touched.
        int n = enforced.size();
        String[] keys = new String[n + shadows.size()];
        long[] costs = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            Limit limit = i < n ? enforced.get(i) : shadows.get(i - n);
            costs[i] = limit.cost(subject);
            keys[i] = Keys.of(limit.spec, subject);
        }
        boolean fallback = false;
        Attempt[] taken = new Attempt[n];
        for (int i = 0; i < n; i++) {
            if (costs[i] == 0) {
                continue; // an empty message has nothing to count
            }
            Limit limit = enforced.get(i);
            Attempt attempt = attempt(limit, keys[i], costs[i]);
            fallback |= attempt.fallback();
            if (!attempt.probe().isConsumed()) {
                giveBack(taken, costs);
                limit.refused.increment();
                return new Consumption(
                        stage,
                        Optional.of(exceeded(limit, keys[i], costs[i], attempt.probe())),
                        List.of(),
                        fallback);
            }
            taken[i] = attempt;
        }
        List<Consumption.Exceeded> exceeded = List.of();
        for (int i = n; i < keys.length; i++) {
            if (costs[i] == 0) {
                continue;
            }
            Limit limit = shadows.get(i - n);
            Attempt attempt = attempt(limit, keys[i], costs[i]);
            fallback |= attempt.fallback();
            if (!attempt.probe().isConsumed()) {
                limit.shadowExceeded.increment();
                if (exceeded.isEmpty()) {
                    exceeded = new ArrayList<>(2);
                }
                exceeded.add(exceeded(limit, keys[i], costs[i], attempt.probe()));
            }
        }
        return new Consumption(stage, Optional.empty(), exceeded, fallback);
    }

    private Attempt attempt(Limit limit, String key, long cost) {
        if (limit.spec.scope() == LimitSpec.Scope.FLEET && fleet.isPresent()) {
            Fleet f = fleet.get();
            Optional<ProxyManager<String>> proxy = f.proxy();
            if (proxy.isPresent()) {
                try {
                    Bucket remote =
                            proxy.get().builder().build(limit.redisKey(key), limit.configuration);
                    return new Attempt(
                            remote, remote.tryConsumeAndReturnRemaining(cost), false, true);
                } catch (RuntimeException e) {
                    // Lettuce, bucket4j timeouts and closed connections all surface as runtime
                    // exceptions; any of them means the shared count is unknown: fall back.
                    f.failed(e);
                }
            }
            fallbacks.increment();
            Bucket local = limit.local.bucket(key);
            return new Attempt(local, local.tryConsumeAndReturnRemaining(cost), true, false);
        }
        Bucket local = limit.local.bucket(key);
        return new Attempt(local, local.tryConsumeAndReturnRemaining(cost), false, false);
    }

    /**
     * Returns the tokens taken for an event another limit refused ({@code taken[i]} null: nothing
     * taken).
     */
    private void giveBack(Attempt[] taken, long[] costs) {
        for (int i = 0; i < taken.length; i++) {
            Attempt a = taken[i];
            if (a == null) {
                continue;
            }
            if (a.remote()) {
                Fleet f = fleet.orElseThrow();
                if (!f.healthy()) {
                    refundsLost.increment(); // no second wait for a Redis that just failed
                    continue;
                }
                try {
                    a.bucket().addTokens(costs[i]);
                } catch (RuntimeException e) {
                    refundsLost.increment();
                    f.failed(e);
                }
            } else {
                a.bucket().addTokens(costs[i]);
            }
        }
    }

    private static Consumption.Exceeded exceeded(
            Limit limit, String key, long cost, ConsumptionProbe probe) {
        Optional<Duration> retry =
                cost > limit.spec.capacity()
                        ? Optional.empty()
                        : Optional.of(Duration.ofNanos(probe.getNanosToWaitForRefill()));
        return new Consumption.Exceeded(limit.spec, key, cost, retry);
    }

    /** The limits this limiter enforces, in policy order. */
    public List<LimitSpec> limits() {
        return specs;
    }

    /** {@code true} when Redis is configured and fleet-wide limits are declared. */
    public boolean fleetConfigured() {
        return fleet.isPresent();
    }

    /**
     * {@code true} when fleet-wide limits are being counted in Redis; {@code false} while they fall
     * back to local buckets, and when no Redis is configured. The state is what the last Redis call
     * or probe saw (an idle node notices an outage with its next call); reading it starts a probe
     * when one is due, so a metrics scrape lets an idle node see Redis come back.
     */
    public boolean fleetHealthy() {
        return fleet.map(Fleet::healthy).orElse(false);
    }

    /**
     * Counters and gauges for the metrics endpoint (all counters since start).
     *
     * @param fleetConfigured Redis is configured and fleet-wide limits exist
     * @param fleetHealthy see {@link #fleetHealthy()}
     * @param fleetErrors Redis calls and probes that failed or timed out
     * @param fleetOutages times Redis became unusable (including at start)
     * @param fleetFallbacks fleet-wide limit checks counted locally because Redis was unusable
     * @param refundsLost tokens of a refused event that could not be given back to Redis
     * @param localKeys local buckets held now, over all limits (fallback buckets included)
     * @param localKeysEvictedEarly local buckets dropped before they were full again (the bound is
     *     too small for the traffic when this grows)
     * @param refused refusals by limit id
     * @param shadowExceeded shadow-limit exceedances by limit id
     */
    public record Stats(
            boolean fleetConfigured,
            boolean fleetHealthy,
            long fleetErrors,
            long fleetOutages,
            long fleetFallbacks,
            long refundsLost,
            long localKeys,
            long localKeysEvictedEarly,
            Map<String, Long> refused,
            Map<String, Long> shadowExceeded) {

        public Stats {
            refused = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(refused));
            shadowExceeded =
                    java.util.Collections.unmodifiableMap(new LinkedHashMap<>(shadowExceeded));
        }
    }

    /**
     * A snapshot of the counters (reading it may start a due Redis probe, as {@link
     * #fleetHealthy()}).
     */
    public Stats stats() {
        long keys = 0;
        long early = 0;
        Map<String, Long> refused = new LinkedHashMap<>();
        Map<String, Long> shadow = new LinkedHashMap<>();
        for (Limit limit : limits) {
            keys += limit.local.size();
            early += limit.local.evictedEarly();
            if (limit.spec.shadow()) {
                shadow.put(limit.spec.id(), limit.shadowExceeded.sum());
            } else {
                refused.put(limit.spec.id(), limit.refused.sum());
            }
        }
        return new Stats(
                fleet.isPresent(),
                fleetHealthy(),
                fleet.map(Fleet::errors).orElse(0L),
                fleet.map(Fleet::outages).orElse(0L),
                fallbacks.sum(),
                refundsLost.sum(),
                keys,
                early,
                refused,
                shadow);
    }

    /** Closes the Redis connection, if any. Local buckets need no closing. */
    @Override
    public void close() {
        fleet.ifPresent(Fleet::close);
    }
}
