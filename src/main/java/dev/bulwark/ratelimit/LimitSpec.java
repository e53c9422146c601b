package dev.bulwark.ratelimit;

import dev.bulwark.check.Stage;

import java.time.Duration;
import java.util.Objects;

/**
 * One rate limit as the policy declares it: at most {@code capacity} units per {@code period} for
 * each key, consumed at {@code stage}.
 *
 * @param id the limit's id in the policy (audited when it refuses)
 * @param stage where it is consumed: connect, mail, rcpt or data
 * @param key what the buckets are keyed by
 * @param ipv4Prefix prefix length for {@link Key#CLIENT_SUBNET} on IPv4 clients (1..32)
 * @param ipv6Prefix prefix length for {@link Key#CLIENT_SUBNET} on IPv6 clients (1..128)
 * @param capacity units allowed per period (and the burst size)
 * @param period the refill period
 * @param cost what one event consumes: 1, or the message size in bytes (data stage only)
 * @param scope in-process buckets, or buckets shared by the fleet through Redis
 * @param shadow only record when exceeded, never refuse
 */
public record LimitSpec(
        String id,
        Stage stage,
        Key key,
        int ipv4Prefix,
        int ipv6Prefix,
        long capacity,
        Duration period,
        Cost cost,
        Scope scope,
        boolean shadow) {

    public LimitSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(period, "period");
        Objects.requireNonNull(cost, "cost");
        Objects.requireNonNull(scope, "scope");
    }

    /** What a limit's buckets are keyed by. */
    public enum Key {
        CLIENT_IP,
        CLIENT_SUBNET,
        SENDER,
        SENDER_DOMAIN,
        RECIPIENT,
        RECIPIENT_DOMAIN,
        GLOBAL
    }

    /** What one event costs. */
    public enum Cost {
        COUNT,
        BYTES
    }

    /** Where the buckets live. */
    public enum Scope {
        LOCAL,
        FLEET
    }
}
