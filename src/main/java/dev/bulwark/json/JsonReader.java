package dev.bulwark.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict RFC 8259 reader (for the runtime manifest and {@code /version} documents): objects
 * become {@code Map<String, Object>} (duplicate keys refused), arrays {@code List<Object>}, strings
 * {@code String}, integers {@code Long}, true and false {@code Boolean}, and null {@link #NULL}.
 * Fractions and exponents are refused: what Bulwark writes has none, and a verifier should not
 * accept more than the writer produces.
 */
public final class JsonReader {

    /** JSON {@code null}, so that no Java null ever leaves the reader. */
    public static final Object NULL =
            new Object() {
                @Override
                public String toString() {
                    return "null";
                }
            };

    private static final int MAX_DEPTH = 16;

    private final String text;
    private int pos;

    private final boolean fractions;

    private JsonReader(String text, boolean fractions) {
        this.text = text;
        this.fractions = fractions;
    }

    /**
     * Parses one JSON document; throws {@link IllegalArgumentException} naming the offset of the
     * first error.
     */
    public static Object parse(String text) {
        return parse(text, false);
    }

    /**
     * As {@link #parse(String)}, but numbers with fractions or exponents are read too, as {@link
     * java.math.BigDecimal}: for documents other programs may extend, such as {@code /version}.
     */
    public static Object parseAnyNumbers(String text) {
        return parse(text, true);
    }

    private static Object parse(String text, boolean fractions) {
        JsonReader r = new JsonReader(text, fractions);
        Object v = r.value(0);
        r.skipSpace();
        if (r.pos != text.length()) {
            throw r.error("unexpected text after the document");
        }
        return v;
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested too deeply");
        }
        skipSpace();
        if (pos >= text.length()) {
            throw error("unexpected end of document");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", NULL);
            default -> {
                if (c == '-' || c >= '0' && c <= '9') {
                    yield number();
                }
                throw error("unexpected character '" + c + "'");
            }
        };
    }

    private Map<String, Object> object(int depth) {
        pos++;
        Map<String, Object> map = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw error("expected a key");
            }
            String key = string();
            skipSpace();
            expect(':');
            Object v = value(depth + 1);
            if (map.putIfAbsent(key, v) != null) {
                throw error("duplicate key '" + key + "'");
            }
            skipSpace();
            char c = next();
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        pos++;
        List<Object> list = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            list.add(value(depth + 1));
            skipSpace();
            char c = next();
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw error("control character in a string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw error("truncated \\u escape");
                    }
                    try {
                        sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error("bad \\u escape");
                    }
                    pos += 4;
                }
                default -> throw error("bad escape '\\" + e + "'");
            }
        }
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
            pos++;
        }
        String digits = text.substring(start, pos);
        if (digits.isEmpty() || digits.equals("-") || digits.matches("-?0\\d+")) {
            throw error("malformed number");
        }
        if (pos < text.length()
                && (text.charAt(pos) == '.'
                        || text.charAt(pos) == 'e'
                        || text.charAt(pos) == 'E')) {
            if (!fractions) {
                throw error("only integers are expected");
            }
            return decimal(start);
        }
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw error("number out of range");
        }
    }

    /** The rest of a number after its integer part: {@code [.digits][(e|E)[+|-]digits]}. */
    private java.math.BigDecimal decimal(int start) {
        if (peek() == '.') {
            pos++;
            int digits = pos;
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
                pos++;
            }
            if (pos == digits) {
                throw error("malformed number");
            }
        }
        if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            pos++;
            if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
                pos++;
            }
            int digits = pos;
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
                pos++;
            }
            if (pos == digits) {
                throw error("malformed number");
            }
        }
        try {
            return new java.math.BigDecimal(text.substring(start, pos));
        } catch (NumberFormatException e) {
            throw error("malformed number");
        }
    }

    private Object literal(String word, Object v) {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected text");
        }
        pos += word.length();
        return v;
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private char next() {
        if (pos >= text.length()) {
            throw error("unexpected end of document");
        }
        return text.charAt(pos++);
    }

    private void expect(char c) {
        if (next() != c) {
            pos--;
            throw error("expected '" + c + "'");
        }
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException("offset " + pos + ": " + message);
    }
}
