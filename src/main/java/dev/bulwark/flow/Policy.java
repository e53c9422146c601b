package dev.bulwark.flow;

import dev.bulwark.check.Filter;
import dev.bulwark.check.Limits;
import dev.bulwark.check.PolicyDigest;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.ratelimit.LimitSpec;

import java.util.List;
import java.util.Objects;

/**
 * What a node enforces, in one object: the filter (rules, relay domains), the protocol limits, the
 * rate limits and the digest that names it all. Handed to {@code Node}, to the flow and through it
 * to the SMTP server; every audit record and trace header names {@link #digest()}.
 */
public record Policy(
        Filter filter, Limits limits, List<LimitSpec> rateLimits, PolicyDigest digest) {

    public Policy {
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(limits, "limits");
        rateLimits = List.copyOf(rateLimits);
        Objects.requireNonNull(digest, "digest");
    }

    /** A compiled policy with everything it declares. */
    public static Policy of(CompiledPolicy compiled) {
        return of(compiled, compiled.rateLimits());
    }

    /**
     * A filter with the given rate limits; limits and digest are the filter's.
     *
     * @throws IllegalArgumentException if the filter's digest is not 64 lower-case hex digits
     */
    public static Policy of(Filter filter, List<LimitSpec> rateLimits) {
        return new Policy(filter, filter.limits(), rateLimits, PolicyDigest.of(filter.digest()));
    }
}
