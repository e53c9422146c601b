package dev.bulwark.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;

/**
 * Answers DNS questions asynchronously. Implementations: {@link DnsClient} (the network), {@link
 * CachingResolver} (a bounded TTL cache in front of another), {@link RecordedResolver} (answers
 * from a file, for the policy gate and tests) and {@link RecordingResolver} (captures live answers
 * into that file format).
 *
 * <p>Contract: the returned future always completes, and never exceptionally: timeouts and server
 * failures are {@link DnsAnswer}s. It completes within the resolver's query timeout. Names are
 * compared without case and without a final dot.
 */
public interface DnsResolver {

    /** Asks for the records of {@code type} at {@code name}. */
    CompletableFuture<DnsAnswer> lookup(String name, RecordType type);

    /**
     * The name under which an address is looked up in reverse: {@code 4.3.2.1.in-addr.arpa} for
     * 1.2.3.4, nibbles under {@code ip6.arpa} for IPv6 (RFC 3596 section 2.5).
     */
    static String reverseName(InetAddress address) {
        return reversed(address)
                + (address instanceof Inet4Address ? ".in-addr.arpa" : ".ip6.arpa");
    }

    /**
     * The address's octets (IPv4) or nibbles (IPv6) in reverse order, dot-separated: the left part
     * of a reverse or block-list name.
     */
    static String reversed(InetAddress address) {
        byte[] b = address.getAddress();
        StringBuilder sb = new StringBuilder();
        if (address instanceof Inet4Address) {
            for (int i = b.length - 1; i >= 0; i--) {
                sb.append(b[i] & 0xff);
                if (i > 0) {
                    sb.append('.');
                }
            }
        } else {
            String hex = "0123456789abcdef";
            for (int i = b.length - 1; i >= 0; i--) {
                sb.append(hex.charAt(b[i] & 0x0f)).append('.');
                sb.append(hex.charAt((b[i] >> 4) & 0x0f));
                if (i > 0) {
                    sb.append('.');
                }
            }
        }
        return sb.toString();
    }

    /** Lower case, no final dot: the form names are compared and cached in. */
    static String normalize(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }
}
