package dev.bulwark.json;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * Writes a tree of maps, lists, strings, booleans and numbers ({@code Long}, {@code Integer},
 * {@code BigDecimal}) as indented JSON: two spaces, keys in the maps' iteration order, numbers in
 * plain notation, strings escaped by {@link Json#string}. The output is a pure function of the
 * tree, which makes it fit for hashing: the policy's canonical form (and so its digest) is written
 * by it, and JSON is also YAML, so the compiler reads that form back. What {@link JsonReader}
 * reads, this writes.
 */
public final class JsonWriter {
    private JsonWriter() {}

    /** The tree as JSON, ending with a line break. */
    public static String write(Object tree) {
        StringBuilder out = new StringBuilder(4096);
        value(tree, out, 0);
        out.append('\n');
        return out.toString();
    }

    private static void value(Object v, StringBuilder out, int indent) {
        switch (v) {
            case String s -> string(s, out);
            case Boolean b -> out.append(b);
            case Long l -> out.append(l);
            case Integer i -> out.append(i);
            case BigDecimal d -> out.append(number(d));
            case Map<?, ?> m -> object(m, out, indent);
            case List<?> l -> array(l, out, indent);
            default -> throw new IllegalArgumentException("not a canonical value: " + v.getClass());
        }
    }

    /** A number in plain notation without trailing zeros: {@code 5}, {@code 2.5}, {@code 1000}. */
    public static String number(BigDecimal d) {
        BigDecimal s = d.stripTrailingZeros();
        return s.scale() < 0 ? s.setScale(0).toPlainString() : s.toPlainString();
    }

    private static void object(Map<?, ?> m, StringBuilder out, int indent) {
        if (m.isEmpty()) {
            out.append("{}");
            return;
        }
        out.append("{\n");
        int i = 0;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            pad(out, indent + 2);
            string((String) e.getKey(), out);
            out.append(": ");
            value(e.getValue(), out, indent + 2);
            out.append(++i < m.size() ? ",\n" : "\n");
        }
        pad(out, indent);
        out.append('}');
    }

    private static void array(List<?> l, StringBuilder out, int indent) {
        if (l.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append("[\n");
        for (int i = 0; i < l.size(); i++) {
            pad(out, indent + 2);
            value(l.get(i), out, indent + 2);
            out.append(i + 1 < l.size() ? ",\n" : "\n");
        }
        pad(out, indent);
        out.append(']');
    }

    private static void pad(StringBuilder out, int n) {
        out.append(" ".repeat(n));
    }

    private static void string(String s, StringBuilder out) {
        Json.string(out, s);
    }
}
