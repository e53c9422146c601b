package dev.bulwark.check.rules;

import dev.bulwark.envelope.Paths;

import java.net.InetAddress;
import java.util.Locale;

/** The shapes {@code helo-is} can test for; the names are the language's. */
public enum HeloShape {
    /** A syntactically valid domain name with at least two labels and a non-numeric top label. */
    FQDN("fqdn"),
    /** An address literal such as {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]}. */
    ADDRESS_LITERAL("address-literal"),
    /** An address literal that is not the client's own address. */
    FOREIGN_LITERAL("foreign-literal"),
    /** A bare IP address without brackets, which RFC 5321 does not allow. */
    BARE_IP("bare-ip"),
    /** One label without dots, such as {@code localhost} or {@code DESKTOP-1234}. */
    SINGLE_LABEL("single-label"),
    /** Anything that is none of a domain, an address literal or an address. */
    INVALID("invalid");

    private final String key;

    HeloShape(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public static java.util.Optional<HeloShape> byKey(String key) {
        for (HeloShape s : values()) {
            if (s.key.equals(key)) {
                return java.util.Optional.of(s);
            }
        }
        return java.util.Optional.empty();
    }

    /** Whether the HELO argument has this shape for a session from {@code client}. */
    public boolean test(String helo, InetAddress client) {
        String h = helo.trim();
        return switch (this) {
            case FQDN -> isFqdn(h);
            case ADDRESS_LITERAL -> literal(h) != null;
            case FOREIGN_LITERAL -> {
                byte[] b = literal(h);
                yield b != null && !java.util.Arrays.equals(b, CidrSet.unmapped(client));
            }
            case BARE_IP -> Cidrs.literal(h) != null;
            case SINGLE_LABEL -> !h.isEmpty() && h.indexOf('.') < 0 && Paths.isDomain(h);
            case INVALID ->
                    !isFqdn(h)
                            && literal(h) == null
                            && Cidrs.literal(h) == null
                            && !(h.indexOf('.') < 0 && Paths.isDomain(h));
        };
    }

    private static boolean isFqdn(String h) {
        String d = h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
        if (d.indexOf('.') < 0 || !Paths.isDomain(d)) {
            return false;
        }
        String top = d.substring(d.lastIndexOf('.') + 1);
        return !top.chars().allMatch(Character::isDigit);
    }

    /**
     * The address of a literal {@code [a.b.c.d]} / {@code [IPv6:...]}, IPv4-mapped unwrapped, or
     * null.
     */
    private static byte[] literal(String h) {
        if (h.length() < 3 || h.charAt(0) != '[' || h.charAt(h.length() - 1) != ']') {
            return null;
        }
        String inner = h.substring(1, h.length() - 1);
        if (inner.regionMatches(true, 0, "IPv6:", 0, 5)) {
            byte[] b = Cidrs.literal(inner.substring(5));
            if (b == null || b.length != 16) {
                return null;
            }
            try {
                return CidrSet.unmapped(InetAddress.getByAddress(b));
            } catch (java.net.UnknownHostException e) {
                return null;
            }
        }
        byte[] b = Cidrs.literal(inner);
        return b != null && b.length == 4 ? b : null;
    }

    @Override
    public String toString() {
        return key.toLowerCase(Locale.ROOT);
    }
}
