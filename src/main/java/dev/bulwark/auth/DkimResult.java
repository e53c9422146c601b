package dev.bulwark.auth;

import java.util.Locale;
import java.util.Objects;

/**
 * What verifying one DKIM-Signature (RFC 6376, RFC 8463) gave.
 *
 * @param result the outcome (RFC 8601 section 2.7.1)
 * @param domain the signing domain (d=), lower case; empty if the signature could not be read
 * @param selector the selector (s=); empty if unreadable
 * @param algorithm the a= tag, e.g. "rsa-sha256" or "ed25519-sha256"
 * @param signature the start of the b= value (for header.b, RFC 6008), empty if unreadable
 * @param reason for people: why it failed ("body hash mismatch", "key revoked", "l= leaves 40
 *     octets unsigned") or what passed
 * @param testing the key record says t=y: the domain is testing DKIM (informational)
 */
public record DkimResult(
        Result result,
        String domain,
        String selector,
        String algorithm,
        String signature,
        String reason,
        boolean testing) {

    /** RFC 8601's DKIM results. */
    public enum Result {
        /** The message has no signature. */
        NONE,
        PASS,
        FAIL,
        /**
         * The signature verified but is not acceptable: here, an l= tag that leaves part of the
         * body unsigned (see ADR 0013).
         */
        POLICY,
        NEUTRAL,
        TEMPERROR,
        PERMERROR;

        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public DkimResult {
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(selector, "selector");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(signature, "signature");
        Objects.requireNonNull(reason, "reason");
    }

    /** The result of a message without any DKIM-Signature field. */
    public static DkimResult none() {
        return new DkimResult(Result.NONE, "", "", "", "", "no signature", false);
    }
}
