package dev.bulwark.ratelimit;

import dev.bulwark.check.Hit;
import dev.bulwark.check.ReservedIds;
import dev.bulwark.check.Score;
import dev.bulwark.check.Stage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of one {@link RateLimiter#consume} call.
 *
 * @param stage the stage that was checked
 * @param refusal the enforced limit that refused the event, if one did: the transaction flow then
 *     refuses with a temporary error (see {@link RateLimiter} for the replies) and audits {@link
 *     #hits()}
 * @param shadowExceeded shadow limits that would have refused an event that was let through; they
 *     are only recorded
 * @param fleetDegraded at least one fleet-wide limit of this stage was counted in this node's local
 *     fallback buckets because Redis was unreachable or slow
 */
public record Consumption(
        Stage stage,
        Optional<Exceeded> refusal,
        List<Exceeded> shadowExceeded,
        boolean fleetDegraded) {

    public Consumption {
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(refusal, "refusal");
        shadowExceeded = List.copyOf(shadowExceeded);
    }

    /** {@code true} when no enforced limit refused: go on with the stage. */
    public boolean allowed() {
        return refusal.isEmpty();
    }

    /**
     * The refusal and shadow exceedances as audit hits (id {@code ratelimit:<limit id>}, detail =
     * key and limit, never meant for the client).
     */
    public List<Hit> hits() {
        if (refusal.isEmpty() && shadowExceeded.isEmpty()) {
            return List.of();
        }
        List<Hit> hits = new ArrayList<>(1 + shadowExceeded.size());
        refusal.ifPresent(
                e -> hits.add(Hit.of(ReservedIds.rateLimit(e.limit().id()), stage, e.detail())));
        for (Exceeded e : shadowExceeded) {
            hits.add(
                    new Hit(
                            ReservedIds.rateLimit(e.limit().id()),
                            stage,
                            e.detail(),
                            Score.ZERO,
                            true));
        }
        return List.copyOf(hits);
    }

    /**
     * One limit that had too few tokens for an event.
     *
     * @param limit the limit as the policy declared it
     * @param key the bucket's key, e.g. {@code 192.0.2.7}, {@code 2001:db8:0:0:0:0:0:0/64}, {@code
     *     example.com} or {@code <>@192.0.2.7} (audit only)
     * @param cost what the event would have consumed (1, or the message size in octets)
     * @param retryAfter how long until enough tokens are back; empty when the cost is larger than
     *     the limit's capacity, so that waiting can never help
     */
    public record Exceeded(LimitSpec limit, String key, long cost, Optional<Duration> retryAfter) {

        public Exceeded {
            Objects.requireNonNull(limit, "limit");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(retryAfter, "retryAfter");
        }

        String detail() {
            return "rate limit "
                    + limit.capacity()
                    + (limit.cost() == LimitSpec.Cost.BYTES ? " octets" : "")
                    + " per "
                    + limit.period()
                    + " by "
                    + limit.key().name().toLowerCase(java.util.Locale.ROOT)
                    + " exceeded for "
                    + key
                    + " (cost "
                    + cost
                    + ", "
                    + retryAfter.map(d -> "tokens back in " + d).orElse("cost exceeds capacity")
                    + ")"
                    + (limit.scope() == LimitSpec.Scope.FLEET ? " [fleet]" : "");
        }
    }
}
