package dev.bulwark.check.mime;

import java.net.IDN;
import java.util.Locale;
import java.util.Set;

/** Finds the hosts of http(s) and {@code www.} URLs in text, without regular expressions. */
final class Urls {
    private Urls() {}

    /** Adds the host of every URL in the text to the set. */
    static void scan(CharSequence text, Set<String> hosts) {
        int len = text.length();
        for (int i = 0; i < len; i++) {
            char c = text.charAt(i);
            if (c != 'h' && c != 'H' && c != 'w' && c != 'W') {
                continue;
            }
            if (i > 0 && isWordChar(text.charAt(i - 1))) {
                continue;
            }
            int hostStart = -1;
            if (c == 'h' || c == 'H') {
                if (startsWithIgnoreCase(text, i, "http://")) {
                    hostStart = i + 7;
                } else if (startsWithIgnoreCase(text, i, "https://")) {
                    hostStart = i + 8;
                }
            } else if (startsWithIgnoreCase(text, i, "www.")) {
                hostStart = i;
            }
            if (hostStart < 0) {
                continue;
            }
            int end = host(text, hostStart, hosts);
            i = Math.max(i, end - 1);
        }
    }

    /** Adds the host of one URL (an attribute value); relative and non-web URLs are ignored. */
    static void url(String value, Set<String> hosts) {
        String v = value.trim();
        int start;
        if (startsWithIgnoreCase(v, 0, "http://")) {
            start = 7;
        } else if (startsWithIgnoreCase(v, 0, "https://")) {
            start = 8;
        } else if (v.startsWith("//")) {
            start = 2;
        } else if (startsWithIgnoreCase(v, 0, "www.")) {
            start = 0;
        } else {
            return;
        }
        host(v, start, hosts);
    }

    /**
     * Reads an authority from {@code start}, adds its host, returns where the URL's host part ends.
     */
    private static int host(CharSequence s, int start, Set<String> hosts) {
        int len = s.length();
        int end = start;
        while (end < len && !isAuthorityEnd(s.charAt(end))) {
            end++;
        }
        // userinfo: the host is after the last '@' (a classic phishing disguise:
        // http://bank.com@evil.net)
        int hostStart = start;
        for (int k = start; k < end; k++) {
            if (s.charAt(k) == '@') {
                hostStart = k + 1;
            }
        }
        int hostEnd = end;
        if (hostStart < end && s.charAt(hostStart) == '[') {
            int close = -1;
            for (int k = hostStart; k < end; k++) {
                if (s.charAt(k) == ']') {
                    close = k;
                    break;
                }
            }
            if (close > 0) {
                add(s.subSequence(hostStart + 1, close).toString(), hosts);
            }
            return end;
        }
        for (int k = hostStart; k < end; k++) {
            if (s.charAt(k) == ':') {
                hostEnd = k;
                break;
            }
        }
        if (hostEnd > hostStart) {
            add(s.subSequence(hostStart, hostEnd).toString(), hosts);
        }
        return end;
    }

    private static void add(String rawHost, Set<String> hosts) {
        String h = rawHost;
        while (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (h.isEmpty() || h.length() > 253) {
            return;
        }
        boolean ascii = true;
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            if (c >= 0x80) {
                ascii = false;
            } else if (!(Character.isLetterOrDigit(c)
                    || c == '-'
                    || c == '.'
                    || c == '_'
                    || c == ':')) {
                return;
            }
        }
        if (!ascii) {
            try {
                h = IDN.toASCII(h, IDN.ALLOW_UNASSIGNED);
            } catch (IllegalArgumentException e) {
                return;
            }
        }
        if (hosts.size() < 10_000) {
            hosts.add(h.toLowerCase(Locale.ROOT));
        }
    }

    private static boolean isAuthorityEnd(char c) {
        return switch (c) {
            case '/',
                    '?',
                    '#',
                    '\\',
                    '"',
                    '\'',
                    '<',
                    '>',
                    '(',
                    ')',
                    ',',
                    ';',
                    '|',
                    '*',
                    '{',
                    '}',
                    '\u00a0' ->
                    true;
            default -> c <= ' ';
        };
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c)
                || c == '.'
                || c == '-'
                || c == '_'
                || c == '@'
                || c == '/';
    }

    static boolean startsWithIgnoreCase(CharSequence s, int at, String prefix) {
        if (at + prefix.length() > s.length()) {
            return false;
        }
        for (int k = 0; k < prefix.length(); k++) {
            char c = s.charAt(at + k);
            if (c >= 'A' && c <= 'Z') {
                c = (char) (c + 32);
            }
            if (c != prefix.charAt(k)) {
                return false;
            }
        }
        return true;
    }
}
