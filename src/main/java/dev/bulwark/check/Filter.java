package dev.bulwark.check;

import dev.bulwark.auth.PublicSuffixList;

/**
 * A compiled filtering policy: immutable, shared by every session, safe for concurrent use. The
 * transaction flow asks it for a fresh {@link Evaluation} per session.
 */
public interface Filter {

    /**
     * The policy digest: SHA-256 of the policy's canonical form, 64 lower-case hex digits (the
     * flow's {@code Policy} holds it as a {@link PolicyDigest}).
     */
    String digest();

    /** Protocol limits the policy sets (sizes, counts, deadlines, connection caps). */
    Limits limits();

    /**
     * The domains mail is accepted for. The transaction flow checks every recipient against them
     * before the policy's own rules see it, so no rule can turn the node into an open relay.
     */
    RelayDomains relayDomains();

    /** The DNS lists the policy's matchers consult (none by default). */
    default DnsLists dnsLists() {
        return DnsLists.NONE;
    }

    /**
     * The Public Suffix List snapshot of the policy (organizational domains for DMARC, registrable
     * domains for URI lists); an empty list (only the implicit "*" rule) by default.
     */
    default PublicSuffixList publicSuffixes() {
        return PublicSuffixList.EMPTY;
    }

    /** Starts evaluating one SMTP session. Never returns {@code null}. */
    Evaluation begin(Connection connection);
}
