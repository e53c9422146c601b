package dev.bulwark.dns;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What one query got: records, or a typed reason for having none. Lookups never throw and their
 * futures never complete exceptionally: every failure is an answer, so SPF, DKIM and DMARC can map
 * each precisely (RFC 7208 section 5: a timeout or server failure is {@code temperror}, a name that
 * does not exist is "no record").
 *
 * @param status what happened
 * @param records the records of the asked type (empty unless {@link Status#OK})
 * @param ttl how long the answer may be kept: the smallest record TTL, or for NXDOMAIN and NODATA
 *     the negative TTL from the zone's SOA (RFC 2308); zero for failures
 * @param detail for people: which server said what (e.g. "REFUSED from 127.0.0.1:53")
 */
public record DnsAnswer(Status status, List<DnsRecord> records, Duration ttl, String detail) {

    /** The outcome of a query. */
    public enum Status {
        /** Records of the asked type exist (after following CNAMEs). */
        OK,
        /** The name does not exist. */
        NXDOMAIN,
        /** The name exists but has no record of the asked type. */
        NODATA,
        /** No answer within the query's time budget. */
        TIMEOUT,
        /**
         * The server could not answer: SERVFAIL, REFUSED, a malformed reply, or a network error
         * such as an unreachable port.
         */
        SERVFAIL
    }

    public DnsAnswer {
        Objects.requireNonNull(status, "status");
        records = List.copyOf(records);
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(detail, "detail");
        if (status == Status.OK && records.isEmpty()) {
            throw new IllegalArgumentException("an OK answer has records");
        }
        if (status != Status.OK && !records.isEmpty()) {
            throw new IllegalArgumentException(status + " answer with records");
        }
    }

    public static DnsAnswer ok(List<DnsRecord> records, Duration ttl) {
        return new DnsAnswer(Status.OK, records, ttl, "");
    }

    public static DnsAnswer nxdomain(Duration ttl) {
        return new DnsAnswer(Status.NXDOMAIN, List.of(), ttl, "");
    }

    public static DnsAnswer nodata(Duration ttl) {
        return new DnsAnswer(Status.NODATA, List.of(), ttl, "");
    }

    public static DnsAnswer timeout(String detail) {
        return new DnsAnswer(Status.TIMEOUT, List.of(), Duration.ZERO, detail);
    }

    public static DnsAnswer servfail(String detail) {
        return new DnsAnswer(Status.SERVFAIL, List.of(), Duration.ZERO, detail);
    }

    /** True for a timeout or a server failure: the truth is unknown, try again later. */
    public boolean isTemporaryFailure() {
        return status == Status.TIMEOUT || status == Status.SERVFAIL;
    }

    /** True when the name or the record type does not exist (RFC 7208's "void lookup"). */
    public boolean isEmpty() {
        return status == Status.NXDOMAIN || status == Status.NODATA;
    }

    /** The TXT strings of the answer (empty unless OK). */
    public List<String> texts() {
        return records.stream()
                .filter(r -> r.type() == RecordType.TXT)
                .map(DnsRecord::value)
                .toList();
    }

    /** The addresses of the answer's A and AAAA records. */
    public List<InetAddress> addresses() {
        return records.stream()
                .filter(r -> r.type() == RecordType.A || r.type() == RecordType.AAAA)
                .map(DnsRecord::address)
                .toList();
    }

    /** The host names of the answer's MX and PTR records. */
    public List<String> hosts() {
        return records.stream()
                .filter(r -> r.type() == RecordType.MX || r.type() == RecordType.PTR)
                .map(DnsRecord::value)
                .toList();
    }

    /** One line for logs and results: "OK 2 records", "TIMEOUT (no answer from ...)". */
    public String describe() {
        return switch (status) {
            case OK -> "OK " + records.size() + (records.size() == 1 ? " record" : " records");
            default -> detail.isEmpty() ? status.name() : status.name() + " (" + detail + ")";
        };
    }
}
