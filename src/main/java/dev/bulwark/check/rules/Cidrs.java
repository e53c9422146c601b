package dev.bulwark.check.rules;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Comparator;

/** Parsing and formatting of CIDR notation without DNS lookups. */
public final class Cidrs {
    private Cidrs() {}

    static final Comparator<CidrSet.Network> ORDER =
            (a, b) -> {
                byte[] x = a.address();
                byte[] y = b.address();
                if (x.length != y.length) {
                    return Integer.compare(x.length, y.length);
                }
                int c = java.util.Arrays.compareUnsigned(x, y);
                return c != 0 ? c : Integer.compare(a.prefix(), b.prefix());
            };

    /** The result of parsing one entry: a network, or why it is not one. */
    public sealed interface Parsed {
        record Ok(CidrSet.Network network) implements Parsed {}

        /**
         * Host bits are set below the prefix: {@code network} is what the author probably meant.
         */
        record HostBits(CidrSet.Network network) implements Parsed {}

        record Bad(String reason) implements Parsed {}
    }

    /**
     * Parses {@code 192.0.2.0/24}, {@code 2001:db8::/32} or a single address (a /32 or /128). Only
     * literal addresses are accepted: a host name never reaches DNS.
     */
    public static Parsed parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        byte[] bytes = literal(addr);
        if (bytes == null) {
            return new Parsed.Bad("'" + addr + "' is not an IPv4 or IPv6 address");
        }
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return new Parsed.Bad("'" + p + "' is not a prefix length");
            }
            prefix = Integer.parseInt(p);
            if (prefix > bits) {
                return new Parsed.Bad(
                        "prefix length " + prefix + " is longer than " + bits + " bits");
            }
        }
        byte[] masked = mask(bytes, prefix);
        CidrSet.Network network = new CidrSet.Network(masked, prefix);
        if (!java.util.Arrays.equals(masked, bytes)) {
            return new Parsed.HostBits(network);
        }
        return new Parsed.Ok(network);
    }

    /** The bytes of an IPv4 or IPv6 literal, or {@code null} if the text is not one. */
    public static byte[] literal(String s) {
        if (s.isEmpty()) {
            return null;
        }
        if (s.indexOf(':') >= 0) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                boolean ok =
                        c == ':'
                                || c == '.'
                                || (c >= '0' && c <= '9')
                                || (c >= 'a' && c <= 'f')
                                || (c >= 'A' && c <= 'F');
                if (!ok) {
                    return null;
                }
            }
            try {
                // With only hex digits, colons and dots InetAddress parses a literal and never
                // resolves.
                byte[] b = InetAddress.getByName(s).getAddress();
                if (b.length == 4) {
                    // An IPv4-mapped literal: keep it as the IPv6 network the author wrote.
                    byte[] v6 = new byte[16];
                    v6[10] = (byte) 0xff;
                    v6[11] = (byte) 0xff;
                    System.arraycopy(b, 0, v6, 12, 4);
                    return v6;
                }
                return b;
            } catch (UnknownHostException e) {
                return null;
            }
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            if (p.length() > 1 && p.charAt(0) == '0') {
                return null; // leading zeros are read as octal by some tools: refuse the ambiguity
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return null;
            }
            b[i] = (byte) v;
        }
        return b;
    }

    static byte[] mask(byte[] address, int prefix) {
        byte[] out = address.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (0xff << (8 - keep));
        }
        return out;
    }

    /** Canonical text: dotted quad or RFC 5952 IPv6, with the prefix. */
    public static String format(CidrSet.Network n) {
        byte[] a = n.address();
        return formatAddress(a) + "/" + n.prefix();
    }

    public static String formatAddress(byte[] a) {
        if (a.length == 4) {
            return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
        }
        // RFC 5952: compress the longest run (leftmost on ties) of two or more zero groups.
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
