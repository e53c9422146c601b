package dev.bulwark.dns;

import java.net.InetAddress;
import java.util.Objects;

/**
 * One resource record of an answer, reduced to what the checks use.
 *
 * @param type the record's type
 * @param value A and AAAA: the address literal; MX: the exchange host; PTR: the target host (host
 *     names in lower case without the final dot); TXT: the record's character-strings joined
 *     without separators (RFC 7208 section 3.3, RFC 6376 section 3.6.2.2)
 * @param preference MX only: the preference; 0 for the other types
 */
public record DnsRecord(RecordType type, String value, int preference) {

    public DnsRecord {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
    }

    public static DnsRecord of(RecordType type, String value) {
        return new DnsRecord(type, value, 0);
    }

    /** The address of an A or AAAA record. */
    public InetAddress address() {
        if (type != RecordType.A && type != RecordType.AAAA) {
            throw new IllegalStateException(type + " record has no address");
        }
        return InetAddress.ofLiteral(value);
    }
}
