package dev.bulwark.json;

/**
 * JSON output (RFC 8259): string literals and numbers. The one encoder for audit records, version
 * documents and the policy's canonical form; since the canonical form's bytes are hashed into the
 * policy digest, which characters are escaped must not change.
 */
public final class Json {

    private Json() {}

    /**
     * Appends {@code s} as a JSON string literal, quotes included. Control characters (C0 and C1),
     * U+2028, U+2029 and U+FEFF are escaped, so a line never breaks and no byte-order mark appears.
     */
    public static StringBuilder string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20
                            || (c >= 0x7f && c <= 0x9f)
                            || c == 0x2028
                            || c == 0x2029
                            || c == 0xfeff) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }

    /** Formats a number the way JSON wants it (no NaN, no trailing ".0" for integers). */
    public static String number(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return "0";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return Double.toString(d);
    }
}
