package dev.bulwark.check.rules;

import dev.bulwark.auth.Authentication;
import dev.bulwark.auth.DkimResult;
import dev.bulwark.auth.DmarcResult;
import dev.bulwark.auth.ListResult;
import dev.bulwark.auth.SpfResult;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The matchers of sender authentication and the DNS lists. They read what the flow's checks found
 * ({@link Facts#authentication()}, {@link Facts#uriLists()}), waiting for a check still running
 * only as long as the transaction's DNS budget allows. A list's temperror never counts as listed.
 */
public final class AuthMatchers {
    private AuthMatchers() {}

    /** {@code spf}: the MAIL FROM identity's SPF result is one of {@code results}. */
    public record Spf(Set<SpfResult.Result> results, Optional<String> domain) implements Matcher {
        public Spf {
            results = Set.copyOf(results);
        }

        @Override
        public Optional<String> match(Facts f) {
            return f.authentication()
                    .mailFrom()
                    .filter(r -> results.contains(r.result()))
                    .filter(r -> domain.isEmpty() || domain.get().equals(r.domain()))
                    .map(r -> "spf=" + r.result().keyword() + " for " + Condition.clip(r.domain()));
        }
    }

    /** {@code dkim}: some signature's result is one of {@code results} (for d= {@code domain}). */
    public record Dkim(Set<DkimResult.Result> results, Optional<String> domain) implements Matcher {
        public Dkim {
            results = Set.copyOf(results);
        }

        @Override
        public Optional<String> match(Facts f) {
            for (DkimResult r : f.authentication().dkim()) {
                if (results.contains(r.result())
                        && (domain.isEmpty() || domain.get().equals(r.domain()))) {
                    return Optional.of(
                            "dkim="
                                    + r.result().keyword()
                                    + (r.domain().isEmpty()
                                            ? ""
                                            : " d=" + Condition.clip(r.domain())));
                }
            }
            return Optional.empty();
        }
    }

    /**
     * {@code dmarc}: the result is one of {@code results}, or it is fail and what the domain asks
     * for this message (its policy, after pct= sampling) is one of {@code dispositions}.
     */
    public record Dmarc(
            Set<DmarcResult.Result> results,
            Set<DmarcResult.Policy> dispositions,
            Optional<String> domain)
            implements Matcher {
        public Dmarc {
            results = Set.copyOf(results);
            dispositions = Set.copyOf(dispositions);
        }

        @Override
        public Optional<String> match(Facts f) {
            Authentication a = f.authentication();
            return a.dmarc()
                    .filter(
                            r ->
                                    results.contains(r.result())
                                            || (r.result() == DmarcResult.Result.FAIL
                                                    && dispositions.contains(r.disposition())))
                    .filter(r -> domain.isEmpty() || domain.get().equals(r.fromDomain()))
                    .map(
                            r ->
                                    "dmarc="
                                            + r.result().keyword()
                                            + " p="
                                            + r.policy().keyword()
                                            + " dis="
                                            + r.disposition().keyword()
                                            + " for "
                                            + Condition.clip(r.fromDomain()));
        }
    }

    /** {@code dnsbl}: the client's address is listed in {@code zone} (with one of the codes). */
    public record Dnsbl(String zone, Set<String> codes) implements Matcher {
        public Dnsbl {
            codes = Set.copyOf(codes);
        }

        @Override
        public Optional<String> match(Facts f) {
            return listed(f.authentication().clientLists(), zone, codes);
        }
    }

    /** {@code uribl}: a host of the message's links is listed in {@code zone}. */
    public record Uribl(String zone, Set<String> codes) implements Matcher {
        public Uribl {
            codes = Set.copyOf(codes);
        }

        @Override
        public Optional<String> match(Facts f) {
            return listed(f.uriLists(), zone, codes);
        }
    }

    private static Optional<String> listed(
            List<ListResult> results, String zone, Set<String> codes) {
        for (ListResult r : results) {
            if (!r.listed() || !r.zone().equals(zone)) {
                continue;
            }
            for (String code : r.codes()) {
                if (codes.isEmpty() || codes.contains(code)) {
                    return Optional.of(
                            Condition.clip(r.subject()) + " listed in " + zone + ": " + code);
                }
            }
        }
        return Optional.empty();
    }
}
