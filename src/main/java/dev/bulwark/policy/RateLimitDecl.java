package dev.bulwark.policy;

import dev.bulwark.check.Stage;
import dev.bulwark.ratelimit.LimitSpec;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A rate limit as written. The words (stage, key, cost, scope) are read as what they name; a part
 * that could not be read is empty, and the limit is not {@code complete}. The capacity is a number,
 * or a size when the cost is bytes.
 */
record RateLimitDecl(
        Pos pos,
        Located<String> id,
        @NotCanonical("a note for people: it changes nothing the policy does")
                Optional<Located<String>> description,
        Optional<Located<Stage>> stage,
        Optional<Located<LimitSpec.Key>> key,
        Optional<Prefix> prefix,
        Optional<Located<BigDecimal>> capacity,
        Optional<Located<Duration>> period,
        Optional<Located<LimitSpec.Cost>> cost,
        Optional<Located<LimitSpec.Scope>> scope,
        Optional<Located<Boolean>> shadow,
        @NotCanonical("only a policy without errors has a canonical form") boolean complete)
        implements Declaration {

    /** Prefix lengths for key client-subnet; each defaults to {@link #IPV4}/{@link #IPV6}. */
    record Prefix(
            Pos keyPos, Optional<Located<BigDecimal>> ipv4, Optional<Located<BigDecimal>> ipv6)
            implements Declaration {

        static final int IPV4 = 24;
        static final int IPV6 = 64;

        int ipv4Length() {
            return ipv4.map(v -> v.value().intValueExact()).orElse(IPV4);
        }

        int ipv6Length() {
            return ipv6.map(v -> v.value().intValueExact()).orElse(IPV6);
        }

        @Override
        public Map<String, Object> canonical() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("ipv4", (long) ipv4Length());
            c.put("ipv6", (long) ipv6Length());
            return c;
        }
    }

    private static final Prefix DEFAULT_PREFIX =
            new Prefix(new Pos("(built in)", 1, 1), Optional.empty(), Optional.empty());

    /** How the policy writes a key: {@code client-subnet}. */
    static String word(LimitSpec.Key key) {
        return key.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    LimitSpec.Cost costOrDefault() {
        return cost.map(Located::value).orElse(LimitSpec.Cost.COUNT);
    }

    /** The limit as the rate limiter takes it (for a checked declaration). */
    LimitSpec spec() {
        LimitSpec.Key k = key.orElseThrow().value();
        boolean subnet = k == LimitSpec.Key.CLIENT_SUBNET;
        Prefix p = prefix.orElse(DEFAULT_PREFIX);
        return new LimitSpec(
                id.value(),
                stage.orElseThrow().value(),
                k,
                subnet ? p.ipv4Length() : 32,
                subnet ? p.ipv6Length() : 128,
                capacity.orElseThrow().value().longValueExact(),
                period.orElseThrow().value(),
                costOrDefault(),
                scope.map(Located::value).orElse(LimitSpec.Scope.LOCAL),
                shadow.map(Located::value).orElse(false));
    }

    /** Every field, defaults explicit; the prefix only for client-subnet. */
    @Override
    public Map<String, Object> canonical() {
        LimitSpec s = spec();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", s.id());
        c.put("stage", s.stage().key());
        c.put("key", word(s.key()));
        if (s.key() == LimitSpec.Key.CLIENT_SUBNET) {
            c.put("prefix", prefix.orElse(DEFAULT_PREFIX).canonical());
        }
        c.put("capacity", s.capacity());
        c.put("period", Values.duration(s.period()));
        c.put("cost", s.cost().name().toLowerCase(Locale.ROOT));
        c.put("scope", s.scope().name().toLowerCase(Locale.ROOT));
        c.put("shadow", s.shadow());
        return c;
    }
}
