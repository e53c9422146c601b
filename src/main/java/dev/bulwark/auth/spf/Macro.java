package dev.bulwark.auth.spf;

import dev.bulwark.dns.DnsResolver;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/** SPF macros (RFC 7208 section 7). */
final class Macro {

    private static final String DELIMITERS = ".-+,/_=";

    private Macro() {}

    /** What the macro letters stand for in one evaluation. */
    record Values(
            String sender,
            String domain,
            InetAddress ip,
            String helo,
            String receiver,
            long timestamp,
            Supplier<String> validatedName) {

        String localPart() {
            int at = sender.lastIndexOf('@');
            return at < 0 ? "postmaster" : sender.substring(0, at);
        }

        String senderDomain() {
            int at = sender.lastIndexOf('@');
            return at < 0 ? sender : sender.substring(at + 1);
        }
    }

    /**
     * Checks a macro-string's syntax: every % starts %{...}, %%, %_ or %-; letters valid for where
     * it stands (c, r, t only in explanation text).
     */
    static void checkSyntax(String s, boolean explanation) throws SpfRecord.SyntaxError {
        expand(s, null, explanation);
    }

    /** Expands a macro-string; {@code values} null only checks the syntax. */
    static String expand(String s, Values values, boolean explanation)
            throws SpfRecord.SyntaxError {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != '%') {
                if (c < 0x21 && !explanation || c > 0x7e) {
                    throw new SpfRecord.SyntaxError(
                            "character " + (int) c + " not allowed in '" + s + "'");
                }
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 >= s.length()) {
                throw new SpfRecord.SyntaxError("'%' at the end of '" + s + "'");
            }
            char n = s.charAt(i + 1);
            switch (n) {
                case '%' -> {
                    out.append('%');
                    i += 2;
                }
                case '_' -> {
                    out.append(' ');
                    i += 2;
                }
                case '-' -> {
                    out.append("%20");
                    i += 2;
                }
                case '{' -> {
                    int close = s.indexOf('}', i);
                    if (close < 0) {
                        throw new SpfRecord.SyntaxError("unclosed macro in '" + s + "'");
                    }
                    out.append(macro(s.substring(i + 2, close), values, explanation, s));
                    i = close + 1;
                }
                default ->
                        throw new SpfRecord.SyntaxError(
                                "'%" + n + "' is not a macro in '" + s + "'");
            }
        }
        return out.toString();
    }

    private static String macro(String body, Values v, boolean explanation, String whole)
            throws SpfRecord.SyntaxError {
        if (body.isEmpty()) {
            throw new SpfRecord.SyntaxError("empty macro in '" + whole + "'");
        }
        char letter = body.charAt(0);
        char lower = Character.toLowerCase(letter);
        if ("slodiphv".indexOf(lower) < 0 && !(explanation && "crt".indexOf(lower) >= 0)) {
            throw new SpfRecord.SyntaxError(
                    "'" + letter + "' is not a macro letter here in '" + whole + "'");
        }
        int i = 1;
        int digits = 0;
        int start = i;
        while (i < body.length() && Character.isDigit(body.charAt(i))) {
            i++;
        }
        if (i > start) {
            if (i - start > 3) {
                throw new SpfRecord.SyntaxError("too many digits in '" + whole + "'");
            }
            digits = Integer.parseInt(body.substring(start, i));
            if (digits == 0) {
                throw new SpfRecord.SyntaxError("zero labels requested in '" + whole + "'");
            }
        }
        boolean reverse = false;
        if (i < body.length() && (body.charAt(i) == 'r' || body.charAt(i) == 'R')) {
            reverse = true;
            i++;
        }
        String delims = body.substring(i);
        for (char d : delims.toCharArray()) {
            if (DELIMITERS.indexOf(d) < 0) {
                throw new SpfRecord.SyntaxError(
                        "'" + d + "' is not a delimiter in '" + whole + "'");
            }
        }
        if (v == null) {
            return "";
        }
        String value =
                switch (lower) {
                    case 's' -> v.sender();
                    case 'l' -> v.localPart();
                    case 'o' -> v.senderDomain();
                    case 'd' -> v.domain();
                    case 'i' -> dotted(v.ip());
                    case 'p' -> v.validatedName().get();
                    case 'v' -> v.ip() instanceof Inet4Address ? "in-addr" : "ip6";
                    case 'h' -> v.helo();
                    case 'c' -> v.ip().getHostAddress();
                    case 'r' -> v.receiver();
                    case 't' -> Long.toString(v.timestamp());
                    default -> throw new IllegalStateException();
                };
        List<String> parts =
                new ArrayList<>(List.of(split(value, delims.isEmpty() ? "." : delims)));
        if (reverse) {
            Collections.reverse(parts);
        }
        if (digits > 0 && digits < parts.size()) {
            parts = parts.subList(parts.size() - digits, parts.size());
        }
        String result = String.join(".", parts);
        return Character.isUpperCase(letter) ? urlEncode(result) : result;
    }

    private static String[] split(String value, String delims) {
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < value.length(); i++) {
            if (delims.indexOf(value.charAt(i)) >= 0) {
                out.add(value.substring(from, i));
                from = i + 1;
            }
        }
        out.add(value.substring(from));
        return out.toArray(String[]::new);
    }

    /** The "i" macro: dotted octets, or for IPv6 dot-separated nibbles (RFC 7208 7.3). */
    static String dotted(InetAddress ip) {
        if (ip instanceof Inet4Address) {
            return ip.getHostAddress();
        }
        String reversed = DnsResolver.reversed(ip);
        List<String> nibbles = new ArrayList<>(List.of(reversed.split("\\.")));
        Collections.reverse(nibbles);
        return String.join(".", nibbles);
    }

    /** Uppercase macro letters: URL-escape everything outside the unreserved set (RFC 3986). */
    private static String urlEncode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (Character.isLetterOrDigit(c) && c < 0x80 || "-._~".indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return sb.toString();
    }
}
