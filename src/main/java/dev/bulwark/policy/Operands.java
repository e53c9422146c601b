package dev.bulwark.policy;

import dev.bulwark.check.rules.Text;
import dev.bulwark.regex.Regex;
import dev.bulwark.regex.RegexSyntaxException;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Function;

/**
 * The kinds of matcher operand (lists are in {@link ListOperands}). A new matcher usually takes one
 * of these; one with an operand of a new shape adds a kind here.
 */
final class Operands {
    private Operands() {}

    /** The value of {@link #HEADER_PATTERN}: a lower-case header name and a pattern. */
    record HeaderPattern(String header, Regex regex) {}

    /** A pattern: {@code P} or {@code {pattern: P, case-sensitive: B}}. */
    static final Operand<OperandDecl.Pattern, Regex> PATTERN =
            new Operand<>() {
                @Override
                public String label() {
                    return "pattern";
                }

                @Override
                public Class<OperandDecl.Pattern> type() {
                    return OperandDecl.Pattern.class;
                }

                @Override
                public Optional<OperandDecl.Pattern> read(Node v, String matcher, Problems p) {
                    return cased(v, matcher, "pattern", p)
                            .flatMap(
                                    c ->
                                            Values.readString(
                                                            c.value(),
                                                            "the pattern of '" + matcher + "'",
                                                            p)
                                                    .map(
                                                            s ->
                                                                    new OperandDecl.Pattern(
                                                                            s, c.caseSensitive())));
                }

                @Override
                public Optional<Regex> check(OperandDecl.Pattern d, String matcher, Checks c) {
                    return compile(d.pattern(), d.caseSensitive(), matcher, c.problems());
                }
            };

    /** A text: {@code T} or {@code {text: T, case-sensitive: B}}. */
    static final Operand<OperandDecl.Text, Text> TEXT =
            new Operand<>() {
                @Override
                public String label() {
                    return "text";
                }

                @Override
                public Class<OperandDecl.Text> type() {
                    return OperandDecl.Text.class;
                }

                @Override
                public Optional<OperandDecl.Text> read(Node v, String matcher, Problems p) {
                    return cased(v, matcher, "text", p)
                            .flatMap(
                                    c ->
                                            Values.readString(
                                                            c.value(),
                                                            "the text of '" + matcher + "'",
                                                            p)
                                                    .map(
                                                            s ->
                                                                    new OperandDecl.Text(
                                                                            s, c.caseSensitive())));
                }

                @Override
                public Optional<Text> check(OperandDecl.Text d, String matcher, Checks c) {
                    return Optional.of(new Text(d.text().value(), d.caseSensitive()));
                }
            };

    /** A header name; its value is lower case. */
    static final Operand<OperandDecl.Header, String> HEADER =
            new Operand<>() {
                @Override
                public String label() {
                    return "header name";
                }

                @Override
                public Class<OperandDecl.Header> type() {
                    return OperandDecl.Header.class;
                }

                @Override
                public Optional<OperandDecl.Header> read(Node v, String matcher, Problems p) {
                    return Values.readString(v, "'" + matcher + "'", p)
                            .map(OperandDecl.Header::new);
                }

                @Override
                public Optional<String> check(OperandDecl.Header d, String matcher, Checks c) {
                    return headerName(d.header(), c.problems());
                }
            };

    /** {@code {header: NAME, pattern: P, case-sensitive: B}}. */
    static final Operand<OperandDecl.HeaderPattern, HeaderPattern> HEADER_PATTERN =
            new Operand<>() {
                @Override
                public String label() {
                    return "{header: NAME, pattern: P, case-sensitive: B}";
                }

                @Override
                public Class<OperandDecl.HeaderPattern> type() {
                    return OperandDecl.HeaderPattern.class;
                }

                @Override
                public Optional<OperandDecl.HeaderPattern> read(
                        Node v, String matcher, Problems p) {
                    String what = "'" + matcher + "'";
                    Map<String, Yaml.Entry> m =
                            Yaml.mapping(
                                            v,
                                            what,
                                            Yaml.keys("header", "pattern", "case-sensitive"),
                                            p)
                                    .orElse(null);
                    if (m == null) {
                        return Optional.empty();
                    }
                    if (!m.containsKey("header") || !m.containsKey("pattern")) {
                        p.error(Yaml.pos(v), what + " needs 'header' and 'pattern'");
                        return Optional.empty();
                    }
                    Optional<Located<String>> header =
                            Values.readString(m.get("header").value(), "'header'", p);
                    Optional<Boolean> caseSensitive = caseSensitive(m, p);
                    if (caseSensitive.isEmpty()) {
                        return Optional.empty();
                    }
                    Optional<Located<String>> pattern =
                            Values.readString(
                                    m.get("pattern").value(), "the pattern of " + what, p);
                    if (header.isEmpty() || pattern.isEmpty()) {
                        return Optional.empty();
                    }
                    return Optional.of(
                            new OperandDecl.HeaderPattern(
                                    Yaml.pos(v), header.get(), pattern.get(), caseSensitive.get()));
                }

                @Override
                public Optional<HeaderPattern> check(
                        OperandDecl.HeaderPattern d, String matcher, Checks c) {
                    Optional<String> name = headerName(d.header(), c.problems());
                    Optional<Regex> regex =
                            compile(d.pattern(), d.caseSensitive(), matcher, c.problems());
                    if (name.isEmpty() || regex.isEmpty()) {
                        return Optional.empty();
                    }
                    return Optional.of(new HeaderPattern(name.get(), regex.get()));
                }
            };

    /** {@code true} or {@code false}. */
    static final Operand<OperandDecl.Flag, Boolean> FLAG =
            new Operand<>() {
                @Override
                public String label() {
                    return "true/false";
                }

                @Override
                public Class<OperandDecl.Flag> type() {
                    return OperandDecl.Flag.class;
                }

                @Override
                public Optional<OperandDecl.Flag> read(Node v, String matcher, Problems p) {
                    return Values.readBool(v, "'" + matcher + "'", p).map(OperandDecl.Flag::new);
                }

                @Override
                public Optional<Boolean> check(OperandDecl.Flag d, String matcher, Checks c) {
                    return Optional.of(d.flag().value());
                }
            };

    /** A positive size: bytes, or a number with a unit ({@code 10MiB}). */
    static final Operand<OperandDecl.Size, Long> SIZE =
            new Operand<>() {
                @Override
                public String label() {
                    return "size";
                }

                @Override
                public Class<OperandDecl.Size> type() {
                    return OperandDecl.Size.class;
                }

                @Override
                public Optional<OperandDecl.Size> read(Node v, String matcher, Problems p) {
                    return Values.readSize(v, "'" + matcher + "'", p).map(OperandDecl.Size::new);
                }

                @Override
                public Optional<Long> check(OperandDecl.Size d, String matcher, Checks c) {
                    if (d.size().value() <= 0) {
                        c.problems().error(d.pos(), "'" + matcher + "' must be positive");
                        return Optional.empty();
                    }
                    return Optional.of(d.size().value());
                }
            };

    /** The value of {@link #PROBABILITY}: the bounds, each optional, exclusive. */
    record Range(OptionalDouble above, OptionalDouble below) {}

    /** {@code {above: P}}, {@code {below: P}} or both: the classifier's spam probability. */
    static final Operand<OperandDecl.Probability, Range> PROBABILITY =
            new Operand<>() {
                @Override
                public String label() {
                    return "{above: P, below: P}";
                }

                @Override
                public Class<OperandDecl.Probability> type() {
                    return OperandDecl.Probability.class;
                }

                @Override
                public Optional<OperandDecl.Probability> read(Node v, String matcher, Problems p) {
                    String what = "'" + matcher + "'";
                    Map<String, Yaml.Entry> m =
                            Yaml.mapping(v, what, Yaml.keys("above", "below"), p).orElse(null);
                    if (m == null) {
                        return Optional.empty();
                    }
                    if (m.isEmpty()) {
                        p.error(
                                Yaml.pos(v),
                                what + " needs 'above' or 'below': a spam probability from 0 to 1");
                        return Optional.empty();
                    }
                    Optional<Located<BigDecimal>> above = bound(m, "above", p);
                    Optional<Located<BigDecimal>> below = bound(m, "below", p);
                    if (above.isPresent() != m.containsKey("above")
                            || below.isPresent() != m.containsKey("below")) {
                        return Optional.empty();
                    }
                    return Optional.of(new OperandDecl.Probability(Yaml.pos(v), above, below));
                }

                @Override
                public Optional<Range> check(OperandDecl.Probability d, String matcher, Checks c) {
                    boolean ok = true;
                    for (Optional<Located<BigDecimal>> b : List.of(d.above(), d.below())) {
                        if (b.isPresent()
                                && (b.get().value().signum() < 0
                                        || b.get().value().compareTo(BigDecimal.ONE) > 0)) {
                            c.problems()
                                    .error(
                                            b.get().pos(),
                                            "a spam probability is from 0 to 1, not "
                                                    + b.get().text());
                            ok = false;
                        }
                    }
                    if (ok
                            && d.above().isPresent()
                            && d.below().isPresent()
                            && d.above().get().value().compareTo(d.below().get().value()) >= 0) {
                        c.problems()
                                .error(
                                        d.pos(),
                                        "'"
                                                + matcher
                                                + "' can never match: no probability is above "
                                                + d.above().get().text()
                                                + " and below "
                                                + d.below().get().text());
                        ok = false;
                    }
                    if (!ok) {
                        return Optional.empty();
                    }
                    return Optional.of(
                            new Range(
                                    d.above()
                                            .map(a -> OptionalDouble.of(a.value().doubleValue()))
                                            .orElse(OptionalDouble.empty()),
                                    d.below()
                                            .map(b -> OptionalDouble.of(b.value().doubleValue()))
                                            .orElse(OptionalDouble.empty())));
                }
            };

    private static Optional<Located<BigDecimal>> bound(
            Map<String, Yaml.Entry> m, String key, Problems p) {
        return m.containsKey(key)
                ? Values.readNumber(m.get(key).value(), "'" + key + "'", p)
                : Optional.empty();
    }

    /**
     * One word of a fixed set, such as a HELO shape; an unknown word is an error naming the set
     * (with a "did you mean").
     */
    static <T> Operand<OperandDecl.Word, T> oneOf(
            String label, List<T> values, Function<T, String> word) {
        List<String> words = values.stream().map(word).toList();
        return new Operand<>() {
            @Override
            public String label() {
                return label;
            }

            @Override
            public Class<OperandDecl.Word> type() {
                return OperandDecl.Word.class;
            }

            @Override
            public Optional<OperandDecl.Word> read(Node v, String matcher, Problems p) {
                return Values.readString(v, "'" + matcher + "'", p).map(OperandDecl.Word::new);
            }

            @Override
            public Optional<T> check(OperandDecl.Word d, String matcher, Checks c) {
                String w = d.word().value();
                int i = words.indexOf(w);
                if (i < 0) {
                    c.problems()
                            .error(
                                    d.pos(),
                                    "unknown "
                                            + label
                                            + " '"
                                            + w
                                            + "'"
                                            + Suggest.didYouMean(w, words)
                                            + ": one of "
                                            + String.join(", ", words));
                    return Optional.empty();
                }
                return Optional.of(values.get(i));
            }
        };
    }

    /** A value written plainly, or as {@code {FIELD: value, case-sensitive: bool}}. */
    private record Cased(Node value, boolean caseSensitive) {}

    private static Optional<Cased> cased(Node v, String matcher, String field, Problems p) {
        if (!(v instanceof MappingNode)) {
            return Optional.of(new Cased(v, false));
        }
        Map<String, Yaml.Entry> m =
                Yaml.mapping(v, "'" + matcher + "'", Yaml.keys(field, "case-sensitive"), p)
                        .orElse(null);
        if (m == null) {
            return Optional.empty();
        }
        if (!m.containsKey(field)) {
            p.error(Yaml.pos(v), "'" + matcher + "' needs a '" + field + "'");
            return Optional.empty();
        }
        return caseSensitive(m, p).map(cs -> new Cased(m.get(field).value(), cs));
    }

    /** The {@code case-sensitive} entry of a mapping: false when absent, empty when not a flag. */
    private static Optional<Boolean> caseSensitive(Map<String, Yaml.Entry> m, Problems p) {
        if (!m.containsKey("case-sensitive")) {
            return Optional.of(false);
        }
        return Yaml.bool(m.get("case-sensitive").value(), "'case-sensitive'", p);
    }

    private static Optional<Regex> compile(
            Located<String> pattern, boolean caseSensitive, String matcher, Problems p) {
        Regex r;
        try {
            r = Regex.compile(pattern.value(), caseSensitive);
        } catch (RegexSyntaxException e) {
            // re2j cannot say where: report at the pattern, with re2j's own description.
            p.error(
                    pattern.pos(),
                    "invalid regex in '"
                            + matcher
                            + "': "
                            + e.description()
                            + ": \""
                            + e.fragment()
                            + "\"");
            return Optional.empty();
        }
        if (r.matchesEverything()) {
            p.warning(
                    pattern.pos(),
                    "the pattern of '"
                            + matcher
                            + "' matches the empty string anywhere, so it matches everything");
        }
        return Optional.of(r);
    }

    private static Optional<String> headerName(Located<String> written, Problems p) {
        String name = written.value().trim();
        if (!Language.validHeaderName(name)) {
            p.error(written.pos(), "'" + written.value() + "' is not a valid header name");
            return Optional.empty();
        }
        return Optional.of(OperandDecl.headerName(name));
    }
}
