package dev.bulwark.check.mime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** RFC 2047 encoded words, RFC 2045 header parameters with RFC 2231 extensions, and charsets. */
final class EncodedWords {
    private EncodedWords() {}

    private static final Charset WINDOWS_1252 = charsetOrNull("windows-1252");

    /**
     * Decodes every {@code =?charset?B|Q?text?=} in a header value; whitespace between two goes.
     */
    static String decode(String value) {
        return decode(value, new Work());
    }

    /**
     * As {@link #decode(String)}, counting the characters examined in {@code work}: at most a few
     * per character of {@code value}, whatever it holds.
     *
     * <p>Linear because every scan stops at the next {@code ?}: an encoded word's charset and text
     * never contain one (RFC 2047 section 2; Q encodes it as {@code =3F}), so a candidate that
     * fails to be a word is given up at its next {@code ?}, and any character is inside at most
     * four candidates. When no {@code ?} is left, no word can follow.
     */
    static String decode(String value, Work work) {
        int len = value.length();
        int from = 0;
        StringBuilder out = null;
        int copied = 0; // value[0, copied) is in out
        int lastWordEnd = -1;
        while (true) {
            int start = find(value, from, work);
            if (start < 0) {
                break;
            }
            int q1 = question(value, start + 2, work);
            if (q1 < 0) {
                break; // no '?' left: no word can follow
            }
            if (q1 + 2 >= len || value.charAt(q1 + 2) != '?') {
                from = Math.max(start + 1, q1 - 1);
                continue;
            }
            char enc = Character.toUpperCase(value.charAt(q1 + 1));
            int q2 = q1 + 2;
            int end = question(value, q2 + 1, work);
            if (end < 0) {
                break;
            }
            if (end + 1 >= len || value.charAt(end + 1) != '=' || (enc != 'B' && enc != 'Q')) {
                from = start + 2;
                continue;
            }
            if (out == null) {
                out = new StringBuilder(len);
            }
            if (!(lastWordEnd == copied && value.substring(copied, start).isBlank())) {
                out.append(value, copied, start);
            }
            String charsetName = value.substring(start + 2, q1);
            int star = charsetName.indexOf('*'); // RFC 2231 language suffix
            if (star >= 0) {
                charsetName = charsetName.substring(0, star);
            }
            String text = value.substring(q2 + 1, end);
            byte[] bytes =
                    enc == 'B'
                            ? Transfer.base64(text.getBytes(StandardCharsets.ISO_8859_1), null)
                            : qWord(text);
            work.add(text.length());
            out.append(Charsets.decode(bytes, 0, bytes.length, charsetName));
            copied = end + 2;
            lastWordEnd = copied;
            from = copied;
        }
        if (out == null) {
            return value;
        }
        out.append(value, copied, len);
        return out.toString();
    }

    /** The next {@code =?} from {@code from}, or -1. */
    private static int find(String value, int from, Work work) {
        int len = value.length();
        for (int i = from; i + 1 < len; i++) {
            if (value.charAt(i) == '=' && value.charAt(i + 1) == '?') {
                work.add(i + 2 - from);
                return i;
            }
        }
        work.add(Math.max(0, len - from));
        return -1;
    }

    /** The next {@code ?} from {@code from}, or -1. */
    private static int question(String value, int from, Work work) {
        int len = value.length();
        for (int i = from; i < len; i++) {
            if (value.charAt(i) == '?') {
                work.add(i + 1 - from);
                return i;
            }
        }
        work.add(Math.max(0, len - from));
        return -1;
    }

    private static byte[] qWord(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '_') {
                out.write(' ');
            } else if (c == '='
                    && i + 2 < text.length()
                    && Transfer.hex(text.charAt(i + 1)) >= 0
                    && Transfer.hex(text.charAt(i + 2)) >= 0) {
                out.write(Transfer.hex(text.charAt(i + 1)) * 16 + Transfer.hex(text.charAt(i + 2)));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    /** A parsed structured header such as Content-Type: the lower-case value and its parameters. */
    record Structured(String value, Map<String, String> params) {}

    /**
     * Parses {@code value; a=b; c="d e"; f*=utf-8''%E2%82%AC; g*0=x; g*1=y}. Lenient: an unquoted
     * value runs to the next semicolon, and malformed pieces are skipped.
     */
    static Structured structured(String header) {
        int semi = indexOfUnquoted(header, ';', 0);
        String value =
                (semi < 0 ? header : header.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        value = stripComment(value);
        Map<String, String> plain = new LinkedHashMap<>();
        // name -> section -> (extended?, raw text)
        Map<String, TreeMap<Integer, String[]>> sections = new LinkedHashMap<>();
        int i = semi;
        while (i >= 0 && i < header.length()) {
            int next = indexOfUnquoted(header, ';', i + 1);
            String piece = header.substring(i + 1, next < 0 ? header.length() : next).trim();
            i = next;
            int eq = piece.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String name = piece.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String raw = piece.substring(eq + 1).trim();
            if (raw.startsWith("\"")) {
                raw = unquote(raw);
            }
            int star = name.indexOf('*');
            if (star < 0) {
                plain.putIfAbsent(name, raw);
                continue;
            }
            String base = name.substring(0, star);
            String rest = name.substring(star + 1);
            boolean extended = rest.endsWith("*") || rest.isEmpty();
            String num = rest.endsWith("*") ? rest.substring(0, rest.length() - 1) : rest;
            int section = 0;
            if (!num.isEmpty()) {
                try {
                    section = Integer.parseInt(num);
                } catch (NumberFormatException e) {
                    continue;
                }
            }
            sections.computeIfAbsent(base, k -> new TreeMap<>())
                    .put(section, new String[] {extended ? "1" : "0", raw});
        }
        Map<String, String> params = new LinkedHashMap<>(plain);
        for (var e : sections.entrySet()) {
            params.put(e.getKey(), rfc2231(e.getValue()));
        }
        return new Structured(value, params);
    }

    private static String rfc2231(TreeMap<Integer, String[]> parts) {
        String charset = "us-ascii";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean first = true;
        for (String[] part : parts.values()) {
            boolean extended = part[0].equals("1");
            String text = part[1];
            if (first && extended) {
                int q1 = text.indexOf('\'');
                int q2 = q1 < 0 ? -1 : text.indexOf('\'', q1 + 1);
                if (q2 >= 0) {
                    charset = text.substring(0, q1);
                    text = text.substring(q2 + 1);
                }
            }
            first = false;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (extended
                        && c == '%'
                        && i + 2 < text.length()
                        && Transfer.hex(text.charAt(i + 1)) >= 0
                        && Transfer.hex(text.charAt(i + 2)) >= 0) {
                    bytes.write(
                            Transfer.hex(text.charAt(i + 1)) * 16
                                    + Transfer.hex(text.charAt(i + 2)));
                    i += 2;
                } else {
                    byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                    bytes.write(b, 0, b.length);
                }
            }
        }
        byte[] b = bytes.toByteArray();
        return Charsets.decode(b, 0, b.length, charset.isEmpty() ? "us-ascii" : charset);
    }

    private static String stripComment(String value) {
        int paren = value.indexOf('(');
        return paren < 0 ? value : value.substring(0, paren).trim();
    }

    private static int indexOfUnquoted(String s, char target, int from) {
        boolean quoted = false;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == target && !quoted) {
                return i;
            }
        }
        return -1;
    }

    private static String unquote(String raw) {
        StringBuilder sb = new StringBuilder(raw.length());
        for (int i = 1; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\\' && i + 1 < raw.length()) {
                sb.append(raw.charAt(++i));
            } else if (c == '"') {
                break;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    static Charset charsetOrNull(String name) {
        try {
            return Charset.forName(name);
        } catch (RuntimeException e) {
            return null;
        }
    }

    static Charset windows1252() {
        return WINDOWS_1252 != null ? WINDOWS_1252 : StandardCharsets.ISO_8859_1;
    }
}
