package dev.bulwark.policy;

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads YAML into snakeyaml-engine nodes and checks their shapes, reporting with positions. */
final class Yaml {
    private Yaml() {}

    /** Parses one document; a syntax error becomes a diagnostic at its mark. */
    static Optional<Node> load(String file, String text, Problems problems) {
        LoadSettings settings =
                LoadSettings.builder()
                        .setLabel(file)
                        .setAllowDuplicateKeys(true) // reported by Yaml.mapping with both positions
                        .setMaxAliasesForCollections(50)
                        .setCodePointLimit(16 * 1024 * 1024)
                        .build();
        try {
            return new Compose(settings).composeString(text);
        } catch (MarkedYamlEngineException e) {
            String problem =
                    e.getProblem() == null
                            ? e.getMessage()
                            : e.getProblem().replaceFirst("^but ", "");
            String context = e.getContext() == null ? "" : e.getContext() + ": ";
            // At the end of the file the problem's own mark says nothing: point at what was left
            // open.
            Mark m =
                    problem.contains("end of stream")
                            ? e.getContextMark().or(e::getProblemMark).orElse(null)
                            : e.getProblemMark().or(e::getContextMark).orElse(null);
            Pos pos =
                    m == null
                            ? new Pos(file, 1, 1)
                            : new Pos(file, m.getLine() + 1, m.getColumn() + 1);
            problems.error(pos, "YAML syntax: " + context + problem);
            return Optional.empty();
        } catch (YamlEngineException e) {
            problems.error(new Pos(file, 1, 1), "YAML: " + e.getMessage());
            return Optional.empty();
        }
    }

    static Pos pos(Node n) {
        Mark m = n.getStartMark().orElse(null);
        if (m == null) {
            return new Pos("?", 1, 1);
        }
        return new Pos(m.getName(), m.getLine() + 1, m.getColumn() + 1);
    }

    /** One key and its value. */
    record Entry(String key, Node keyNode, Node value) {
        Pos keyPos() {
            return Yaml.pos(keyNode);
        }

        Pos pos() {
            return Yaml.pos(value);
        }
    }

    /**
     * The entries of a mapping in order. Reports a non-mapping, non-scalar keys, duplicate keys
     * and, when {@code allowed} is given, unknown keys with a "did you mean".
     */
    static Optional<Map<String, Entry>> mapping(
            Node n, String what, Collection<String> allowed, Problems p) {
        if (!(n instanceof MappingNode m)) {
            p.error(pos(n), what + " must be a mapping, not " + describe(n));
            return Optional.empty();
        }
        Map<String, Entry> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                p.error(
                        pos(t.getKeyNode()),
                        "a key in "
                                + what
                                + " must be a plain word, not "
                                + describe(t.getKeyNode()));
                continue;
            }
            String key = k.getValue();
            Entry first = out.get(key);
            if (first != null) {
                p.error(
                        pos(k),
                        "duplicate key '"
                                + key
                                + "' in "
                                + what
                                + " (first at "
                                + first.keyPos().relativeTo(pos(k))
                                + ")");
                continue;
            }
            if (allowed != null && !allowed.contains(key)) {
                p.error(
                        pos(k),
                        "unknown key '" + key + "' in " + what + Suggest.didYouMean(key, allowed));
                continue;
            }
            out.put(key, new Entry(key, k, t.getValueNode()));
        }
        return Optional.of(out);
    }

    static Optional<List<Node>> sequence(Node n, String what, Problems p) {
        if (!(n instanceof SequenceNode s)) {
            p.error(pos(n), what + " must be a list, not " + describe(n));
            return Optional.empty();
        }
        return Optional.of(new ArrayList<>(s.getValue()));
    }

    /** A non-empty scalar's text. */
    static Optional<String> string(Node n, String what, Problems p) {
        if (!(n instanceof ScalarNode s) || s.getTag().equals(Tag.NULL)) {
            p.error(pos(n), what + " must be a text value, not " + describe(n));
            return Optional.empty();
        }
        if (s.getValue().isEmpty()) {
            p.error(pos(n), what + " must not be empty");
            return Optional.empty();
        }
        return Optional.of(s.getValue());
    }

    static Optional<Boolean> bool(Node n, String what, Problems p) {
        if (n instanceof ScalarNode s && s.getTag().equals(Tag.BOOL)) {
            return Optional.of(
                    Boolean.parseBoolean(s.getValue().toLowerCase(java.util.Locale.ROOT)));
        }
        p.error(pos(n), what + " must be true or false, not " + describe(n));
        return Optional.empty();
    }

    static Optional<java.math.BigDecimal> number(Node n, String what, Problems p) {
        if (n instanceof ScalarNode s
                && (s.getTag().equals(Tag.INT) || s.getTag().equals(Tag.FLOAT))) {
            try {
                return Optional.of(new java.math.BigDecimal(s.getValue().replace("_", "")));
            } catch (NumberFormatException e) {
                // .inf, .nan: fall through
            }
        }
        p.error(pos(n), what + " must be a number, not " + describe(n));
        return Optional.empty();
    }

    static boolean isScalar(Node n) {
        return n instanceof ScalarNode s && !s.getTag().equals(Tag.NULL);
    }

    static String scalar(Node n) {
        return ((ScalarNode) n).getValue();
    }

    /** How a node looks, for messages: "a list", "a mapping", "nothing", or the quoted text. */
    static String describe(Node n) {
        if (n instanceof MappingNode) {
            return "a mapping";
        }
        if (n instanceof SequenceNode) {
            return "a list";
        }
        ScalarNode s = (ScalarNode) n;
        if (s.getTag().equals(Tag.NULL)) {
            return "nothing";
        }
        return "'" + s.getValue() + "'";
    }

    static Set<String> keys(String... keys) {
        return new java.util.LinkedHashSet<>(List.of(keys));
    }
}
