package dev.bulwark.policy;

import dev.bulwark.check.Limits;
import dev.bulwark.check.Stage;
import dev.bulwark.json.JsonWriter;
import dev.bulwark.ratelimit.LimitSpec;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The check pass for rate limits: the arithmetic of each (capacity, period, prefix lengths, bytes
 * against the message size), keys only where their facts are known, and limits that count the same
 * buckets as an earlier one.
 */
final class RateLimitChecker {

    private static final long MAX_CAPACITY = 1_000_000_000_000L;

    private final PolicyChecker policy;
    private final Problems problems;
    private final Limits limits;

    /** The valid limits so far, and where each is. */
    private final List<LimitSpec> valid = new ArrayList<>();

    private final List<Pos> positions = new ArrayList<>();

    RateLimitChecker(PolicyChecker policy, Limits limits) {
        this.policy = policy;
        this.problems = policy.problems();
        this.limits = limits;
    }

    void check(RateLimitDecl r) {
        boolean ok = r.complete();
        String id = r.id().value();
        policy.claimId(r.id());
        Optional<Stage> stage = r.stage().map(Located::value);
        if (stage.isPresent() && r.key().isPresent()) {
            LimitSpec.Key key = r.key().get().value();
            Stage needs =
                    switch (key) {
                        case SENDER, SENDER_DOMAIN -> Stage.MAIL;
                        case RECIPIENT, RECIPIENT_DOMAIN -> Stage.RCPT;
                        default -> Stage.CONNECT;
                    };
            if (needs.compareTo(stage.get()) > 0) {
                problems.error(
                        r.key().get().pos(),
                        "limit '"
                                + id
                                + "' cannot be keyed by "
                                + r.key().get().text()
                                + " at stage "
                                + stage.get().key()
                                + ": "
                                + Language.known(needs));
                ok = false;
            }
        }
        int ipv4 = 32;
        int ipv6 = 128;
        if (r.prefix().isPresent()) {
            RateLimitDecl.Prefix p = r.prefix().get();
            ipv4 =
                    (int)
                            LimitsChecker.whole(
                                    problems,
                                    p.ipv4(),
                                    RateLimitDecl.Prefix.IPV4,
                                    1,
                                    32,
                                    "IPv4 prefix length for limit '" + id + "'");
            ipv6 =
                    (int)
                            LimitsChecker.whole(
                                    problems,
                                    p.ipv6(),
                                    RateLimitDecl.Prefix.IPV6,
                                    1,
                                    128,
                                    "IPv6 prefix length for limit '" + id + "'");
        } else if (r.key().map(k -> k.value() == LimitSpec.Key.CLIENT_SUBNET).orElse(false)) {
            ipv4 = RateLimitDecl.Prefix.IPV4;
            ipv6 = RateLimitDecl.Prefix.IPV6;
        }
        LimitSpec.Cost cost = r.costOrDefault();
        if (cost == LimitSpec.Cost.BYTES && stage.isPresent() && stage.get() != Stage.DATA) {
            problems.error(
                    r.cost().orElseThrow().pos(),
                    "limit '"
                            + id
                            + "' counts bytes at stage "
                            + stage.get().key()
                            + ": the size is only known at data");
            ok = false;
        }
        long capacity = r.capacity().map(c -> capacity(c, cost, id)).orElse(-1L);
        if (r.capacity().isPresent()) {
            ok &= capacityInRange(r.capacity().get().pos(), capacity, cost, id);
        }
        ok &= capacity > 0;
        Optional<Duration> period = r.period().flatMap(p -> period(p, capacity, cost, id));
        if (!ok || period.isEmpty()) {
            return;
        }
        LimitSpec spec =
                new LimitSpec(
                        id,
                        stage.orElseThrow(),
                        r.key().orElseThrow().value(),
                        ipv4,
                        ipv6,
                        capacity,
                        period.get(),
                        cost,
                        r.scope().map(Located::value).orElse(LimitSpec.Scope.LOCAL),
                        r.shadow().map(Located::value).orElse(false));
        for (int i = 0; i < valid.size(); i++) {
            LimitSpec o = valid.get(i);
            if (sameBuckets(o, spec)) {
                problems.warning(
                        r.pos(),
                        "limit '"
                                + id
                                + "' counts the same thing as limit '"
                                + o.id()
                                + "' ("
                                + positions.get(i).relativeTo(r.pos())
                                + "): only the stricter one matters");
            }
        }
        valid.add(spec);
        positions.add(r.pos());
    }

    /** The capacity as a count (-1 when not a whole number, 0 when not positive) or in bytes. */
    private long capacity(Located<BigDecimal> c, LimitSpec.Cost cost, String id) {
        BigDecimal n = c.value();
        if (cost == LimitSpec.Cost.BYTES) {
            return n.longValueExact();
        }
        if (n.stripTrailingZeros().scale() > 0) {
            problems.error(
                    c.pos(),
                    JsonWriter.number(n)
                            + " is not a valid capacity for limit '"
                            + id
                            + "': capacity must be a whole number");
            return -1;
        }
        if (n.signum() <= 0) {
            problems.error(
                    c.pos(),
                    JsonWriter.number(n)
                            + " is not a valid capacity for limit '"
                            + id
                            + "': capacity must be positive");
            return 0;
        }
        return n.min(BigDecimal.valueOf(Long.MAX_VALUE)).longValue();
    }

    private boolean capacityInRange(Pos pos, long capacity, LimitSpec.Cost cost, String id) {
        boolean ok = true;
        if (cost == LimitSpec.Cost.BYTES && capacity == 0) {
            problems.error(
                    pos,
                    "0 is not a valid capacity for limit '" + id + "': capacity must be positive");
        }
        if (cost == LimitSpec.Cost.BYTES && capacity > 0 && capacity < limits.maxMessageSize()) {
            problems.error(
                    pos,
                    Values.size(capacity)
                            + " is not a valid capacity for limit '"
                            + id
                            + "': it is below limits.message-size "
                            + Values.size(limits.maxMessageSize())
                            + ", so a message of the largest allowed size could never pass");
            ok = false;
        }
        if (capacity > MAX_CAPACITY) {
            problems.error(
                    pos, "capacity " + capacity + " for limit '" + id + "' is too large to count");
            ok = false;
        }
        return ok;
    }

    private Optional<Duration> period(
            Located<Duration> p, long capacity, LimitSpec.Cost cost, String id) {
        Duration period = p.value();
        if (period.compareTo(Duration.ofSeconds(1)) < 0
                || period.compareTo(Duration.ofDays(30)) > 0) {
            problems.error(
                    p.pos(),
                    p.text()
                            + " is not a valid period for limit '"
                            + id
                            + "': it must be between 1s and 30d");
            return Optional.empty();
        }
        if (capacity > 0
                && cost == LimitSpec.Cost.COUNT
                && period.toMillis() / capacity > Duration.ofDays(1).toMillis()) {
            problems.warning(
                    p.pos(),
                    "limit '"
                            + id
                            + "' refills one unit every "
                            + Values.human(Duration.ofMillis(period.toMillis() / capacity))
                            + ": a client that hits it waits that long");
        }
        return Optional.of(period);
    }

    private static boolean sameBuckets(LimitSpec a, LimitSpec b) {
        return a.stage() == b.stage()
                && a.key() == b.key()
                && a.cost() == b.cost()
                && a.scope() == b.scope()
                && a.shadow() == b.shadow()
                && a.period().equals(b.period())
                && (a.key() != LimitSpec.Key.CLIENT_SUBNET
                        || (a.ipv4Prefix() == b.ipv4Prefix() && a.ipv6Prefix() == b.ipv6Prefix()));
    }
}
