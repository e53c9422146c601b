package dev.bulwark.auth;

import java.util.List;
import java.util.Objects;

/**
 * What one DNS list said about one subject: a client address (DNSBL, DNSWL) or a host found in the
 * message (URIBL).
 *
 * @param zone the list's zone, e.g. "zen.spamhaus.example"
 * @param subject what was looked up: the client address, or the registrable domain or address of a
 *     host
 * @param status listed, not listed, or unknown
 * @param codes the list's return codes (127.0.0.x addresses) when listed
 * @param reason for people: the TXT-free detail ("127.0.0.2", "TIMEOUT ...", "list refused the
 *     query: 127.255.255.254")
 */
public record ListResult(
        String zone, String subject, Status status, List<String> codes, String reason) {

    /** A DNS list's answer. */
    public enum Status {
        LISTED,
        NOT_LISTED,
        /**
         * No usable answer: a timeout, a server failure, or a list's own error code (such as
         * 127.255.255.254, "query refused"). Never treated as listed.
         */
        TEMPERROR
    }

    public ListResult {
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(status, "status");
        codes = List.copyOf(codes);
        Objects.requireNonNull(reason, "reason");
    }

    public boolean listed() {
        return status == Status.LISTED;
    }
}
