package dev.bulwark.envelope;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses RFC 5321 paths: {@code <local@domain>}, with quoted local parts, address literals, UTF-8
 * (RFC 6531) and the obsolete source route. Angle brackets may be omitted, as many real clients do.
 * The parser only reads syntax; whether a mailbox may be relayed to is the relay check's business.
 */
public final class Paths {

    static final int MAX_LOCAL_PART = 64;
    static final int MAX_DOMAIN = 255;
    static final int MAX_PATH = 256;

    private Paths() {}

    /** Parses a reverse-path, where {@code <>} is the null path. */
    public static ReversePath parseReversePath(String text) {
        if (text.equals("<>")) {
            return NullPath.INSTANCE;
        }
        return parse(text).mailbox();
    }

    /**
     * Parses a forward-path.
     *
     * @throws PathSyntaxException with a human-readable reason
     */
    public static Path parse(String text) {
        String inner = text;
        if (inner.startsWith("<")) {
            if (!inner.endsWith(">") || inner.length() < 2) {
                throw new PathSyntaxException("missing closing '>'");
            }
            inner = inner.substring(1, inner.length() - 1);
        } else if (inner.endsWith(">")) {
            throw new PathSyntaxException("missing opening '<'");
        }
        if (inner.length() > MAX_PATH) {
            throw new PathSyntaxException("path longer than " + MAX_PATH + " characters");
        }
        if (inner.isEmpty()) {
            throw new PathSyntaxException("empty path");
        }
        List<String> route = new ArrayList<>();
        if (inner.startsWith("@")) {
            int colon = inner.indexOf(':');
            if (colon < 0) {
                throw new PathSyntaxException("source route without ':'");
            }
            for (String hop : inner.substring(0, colon).split(",", -1)) {
                if (!hop.startsWith("@") || !isDomain(hop.substring(1))) {
                    throw new PathSyntaxException("malformed source route '" + hop + "'");
                }
                route.add(hop.substring(1).toLowerCase(java.util.Locale.ROOT));
            }
            inner = inner.substring(colon + 1);
        }
        int at = localPartEnd(inner);
        String local = inner.substring(0, at);
        if (at == inner.length()) {
            if (local.equalsIgnoreCase("postmaster") && route.isEmpty()) {
                return new Path(new Mailbox(local, ""), route, false);
            }
            throw new PathSyntaxException("no '@' in address");
        }
        String domain = inner.substring(at + 1);
        validateLocalPart(local);
        boolean trailingDot = false;
        if (domain.startsWith("[")) {
            validateAddressLiteral(domain);
        } else {
            if (domain.endsWith(".") && domain.length() > 1) {
                trailingDot = true;
                domain = domain.substring(0, domain.length() - 1);
            }
            if (domain.length() > MAX_DOMAIN || !isDomain(domain)) {
                throw new PathSyntaxException("malformed domain '" + domain + "'");
            }
        }
        return new Path(new Mailbox(local, domain), route, trailingDot, domain);
    }

    /** Index of the '@' separating local part and domain, or the text's length if there is none. */
    private static int localPartEnd(String s) {
        if (s.startsWith("\"")) {
            int i = 1;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '\\') {
                    i += 2;
                    continue;
                }
                if (c == '"') {
                    if (i + 1 < s.length() && s.charAt(i + 1) != '@') {
                        throw new PathSyntaxException("text after closing quote of local part");
                    }
                    return i + 1;
                }
                i++;
            }
            throw new PathSyntaxException("unterminated quoted local part");
        }
        int at = s.lastIndexOf('@');
        return at < 0 ? s.length() : at;
    }

    private static void validateLocalPart(String local) {
        if (local.isEmpty()) {
            throw new PathSyntaxException("empty local part");
        }
        if (local.length() > MAX_LOCAL_PART) {
            throw new PathSyntaxException(
                    "local part longer than " + MAX_LOCAL_PART + " characters");
        }
        if (local.startsWith("\"")) {
            for (int i = 1; i < local.length() - 1; i++) {
                char c = local.charAt(i);
                if (c == '\\') {
                    char next = local.charAt(++i);
                    if (next < 32 || next == 127) {
                        throw new PathSyntaxException("control character in quoted local part");
                    }
                } else if (c < 32 || c == 127 || c == '"') {
                    throw new PathSyntaxException("invalid character in quoted local part");
                }
            }
            return;
        }
        String[] atoms = local.split("\\.", -1);
        for (String atom : atoms) {
            if (atom.isEmpty()) {
                throw new PathSyntaxException("empty atom in local part '" + local + "'");
            }
            for (int i = 0; i < atom.length(); i++) {
                if (!isAtext(atom.charAt(i))) {
                    throw new PathSyntaxException(
                            "invalid character '" + atom.charAt(i) + "' in local part");
                }
            }
        }
    }

    private static boolean isAtext(char c) {
        if (c >= 0x80) {
            return !Character.isISOControl(c)
                    && !Character.isWhitespace(c); // RFC 6531 UTF8-non-ascii
        }
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
    }

    /** RFC 5321 Domain, with RFC 6531 U-labels allowed. */
    public static boolean isDomain(String domain) {
        if (domain.isEmpty() || domain.length() > MAX_DOMAIN) {
            return false;
        }
        for (String label : domain.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                return false;
            }
            if (label.charAt(0) == '-' || label.charAt(label.length() - 1) == '-') {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok =
                        (c >= 'a' && c <= 'z')
                                || (c >= 'A' && c <= 'Z')
                                || (c >= '0' && c <= '9')
                                || c == '-'
                                || (c >= 0x80 && Character.isLetterOrDigit(c));
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void validateAddressLiteral(String literal) {
        if (!literal.endsWith("]") || literal.length() < 3) {
            throw new PathSyntaxException("malformed address literal '" + literal + "'");
        }
        String body = literal.substring(1, literal.length() - 1);
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\') {
                throw new PathSyntaxException("malformed address literal '" + literal + "'");
            }
        }
    }
}
