package dev.bulwark.auth;

import java.util.Locale;
import java.util.Objects;

/**
 * What DMARC (RFC 7489) said about the message's From domain.
 *
 * @param result pass when SPF or DKIM passed for an aligned domain; fail when the domain has a
 *     policy and neither did; none when it publishes none
 * @param fromDomain the RFC5322.From domain
 * @param policy the policy that applies (p=, or sp= for a subdomain found through the
 *     organizational domain); {@link Policy#NONE} when there is no record
 * @param disposition what the domain asks for this message: the policy, or one step milder when
 *     pct= sampled the message out (RFC 7489 section 6.6.4); {@link Policy#NONE} on pass
 * @param spfAligned an SPF pass for a domain aligned with the From domain
 * @param dkimAligned a DKIM pass for a domain aligned with the From domain
 * @param reason for people: which record, why it failed or errored
 */
public record DmarcResult(
        Result result,
        String fromDomain,
        Policy policy,
        Policy disposition,
        boolean spfAligned,
        boolean dkimAligned,
        String reason) {

    /** RFC 8601's DMARC results (RFC 7489 section 11.2). */
    public enum Result {
        NONE,
        PASS,
        FAIL,
        TEMPERROR,
        PERMERROR;

        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A domain's requested handling (p= and sp=). */
    public enum Policy {
        NONE,
        QUARANTINE,
        REJECT;

        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public DmarcResult {
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(fromDomain, "fromDomain");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(disposition, "disposition");
        Objects.requireNonNull(reason, "reason");
    }
}
