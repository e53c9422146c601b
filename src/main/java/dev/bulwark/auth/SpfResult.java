package dev.bulwark.auth;

import java.util.Locale;
import java.util.Objects;

/**
 * What SPF (RFC 7208) said about one identity of a transaction.
 *
 * @param result the check_host() result
 * @param identity which identity was checked: the HELO name or the MAIL FROM address
 * @param domain the domain checked (the HELO name, or the sender's domain; for the null reverse
 *     path the HELO name, RFC 7208 section 2.4)
 * @param reason for people and the audit record: the mechanism that matched, or why there was an
 *     error ("include loop", "11 DNS lookups: the limit is 10", "TIMEOUT looking up TXT of ...")
 * @param explanation the domain's explanation (exp=) on fail, macro-expanded; empty otherwise
 */
public record SpfResult(
        Result result, Identity identity, String domain, String reason, String explanation) {

    /** The results of RFC 7208 section 2.6. */
    public enum Result {
        NONE,
        NEUTRAL,
        PASS,
        FAIL,
        SOFTFAIL,
        TEMPERROR,
        PERMERROR;

        /** The lower-case name RFC 8601 and the policy language use. */
        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The identities SPF checks (RFC 7208 section 2). */
    public enum Identity {
        HELO,
        MAILFROM
    }

    public SpfResult {
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(explanation, "explanation");
    }

    public SpfResult(Result result, Identity identity, String domain, String reason) {
        this(result, identity, domain, reason, "");
    }
}
