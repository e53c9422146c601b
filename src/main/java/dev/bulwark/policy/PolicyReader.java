package dev.bulwark.policy;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The read pass: YAML nodes and list files to declarations ({@link PolicyDecl}). It reports what is
 * wrong with the form of the source (YAML syntax; a value of the wrong shape or type; unknown,
 * duplicate and missing keys, with a "did you mean"; names and keywords that decide how the rest of
 * a mapping reads; a matcher under a stage before its facts are known) and leaves what the values
 * mean to {@link PolicyChecker}. What it does not read further, it does not report on further: a
 * {@code reply} beside a non-reject action, say, is an error and its text is not looked at. Rules
 * are read by {@link RuleReader}, rate limits by {@link RateLimitReader}.
 */
final class PolicyReader {

    /** Header names a tag may not set: the relay's own, and those a tag would forge. */
    private static final Set<String> RESERVED_HEADERS =
            Set.of("x-bulwark", "received", "subject", "from", "to", "date", "message-id");

    private final Problems problems;

    private PolicyReader(Problems problems) {
        this.problems = problems;
    }

    /** The policy's declarations, or empty when its main file holds no YAML document. */
    static Optional<PolicyDecl> read(PolicySource source, Problems problems) {
        return new PolicyReader(problems).policy(source);
    }

    private Optional<PolicyDecl> policy(PolicySource source) {
        for (Pos p : source.ignored()) {
            problems.warning(p, "ignored: list files are named NAME.txt");
        }
        List<ListDecl> lists = new ArrayList<>();
        for (PolicySource.ListFile f : source.lists()) {
            lists.add(listFile(f.name(), f.file(), f.text()));
        }
        Optional<Node> root = Yaml.load(source.mainFile(), source.mainText(), problems);
        if (root.isEmpty()) {
            if (!problems.hasErrors()) {
                problems.error(new Pos(source.mainFile(), 1, 1), "the policy file is empty");
            }
            return Optional.empty();
        }
        Map<String, Yaml.Entry> top =
                Yaml.mapping(root.get(), "the policy", Language.TOP, problems).orElse(Map.of());
        Pos start = Yaml.pos(root.get());
        if (!top.containsKey("relay-domains") && root.get() instanceof MappingNode) {
            problems.error(
                    start,
                    "the policy has no 'relay-domains': without them no mail can be accepted");
        }
        if (top.containsKey("lists")) {
            lists.addAll(listSection(top.get("lists").value()));
        }
        return Optional.of(
                new PolicyDecl(
                        start,
                        section(top, "language", v -> Values.readNumber(v, "'language'", problems)),
                        section(top, "limits", v -> Optional.of(limits(v)))
                                .orElse(LimitsDecl.none(start)),
                        section(top, "integrity", v -> Optional.of(integrity(v)))
                                .orElse(IntegrityDecl.none(start)),
                        section(
                                top,
                                "relay-domains",
                                v ->
                                        ListOperands.readList(
                                                v, ListKind.DOMAIN, "'relay-domains'", problems)),
                        section(
                                top,
                                "quarantine",
                                v -> Values.readString(v, "'quarantine'", problems)),
                        section(top, "thresholds", v -> Optional.of(thresholds(v))),
                        section(top, "tag", v -> tag(v, "'tag'", problems).value()),
                        section(top, "classifier", this::classifier),
                        section(top, "public-suffixes", this::publicSuffixes),
                        lists,
                        section(
                                        top,
                                        "rate-limits",
                                        v -> Optional.of(RateLimitReader.read(v, problems)))
                                .orElse(List.of()),
                        section(top, "rules", v -> Optional.of(RuleReader.read(v, problems)))
                                .orElse(List.of())));
    }

    private static <T> Optional<T> section(
            Map<String, Yaml.Entry> top, String key, Function<Node, Optional<T>> reader) {
        Yaml.Entry e = top.get(key);
        return e == null ? Optional.empty() : reader.apply(e.value());
    }

    // ---- lists ---------------------------------------------------------------------------------

    /** A list file: one entry a line, '#' starts a comment. */
    private ListDecl listFile(String name, String file, String text) {
        List<Located<String>> items = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            String content = hash >= 0 ? line.substring(0, hash) : line;
            String entry = content.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int column = content.indexOf(entry.charAt(0)) + 1;
            Pos pos = new Pos(file, i + 1, column);
            if (entry.chars().anyMatch(Character::isWhitespace)) {
                problems.error(pos, "'" + entry + "' has spaces: a list has one entry a line");
                continue;
            }
            items.add(Located.of(entry, pos));
        }
        Pos first = new Pos(file, 1, 1);
        return new ListDecl(Located.of(name, first), first, items);
    }

    /** {@code lists:}: {@code name: [entries...]}. */
    private List<ListDecl> listSection(Node node) {
        List<ListDecl> out = new ArrayList<>();
        for (Yaml.Entry e :
                Yaml.mapping(node, "'lists'", null, problems).orElse(Map.of()).values()) {
            if (!Language.validName(e.key())) {
                problems.error(
                        e.keyPos(),
                        "list name '"
                                + e.key()
                                + "' must be lower-case letters, digits, '-', '_' or '.'");
                continue;
            }
            String what = "an entry of list '" + e.key() + "'";
            Yaml.sequence(e.value(), "list '" + e.key() + "'", problems)
                    .ifPresent(
                            nodes -> {
                                List<Located<String>> items = new ArrayList<>();
                                for (Node n : nodes) {
                                    Values.readString(n, what, problems)
                                            .ifPresent(
                                                    s ->
                                                            items.add(
                                                                    Located.of(
                                                                            s.value().strip(),
                                                                            s.pos())));
                                }
                                out.add(
                                        new ListDecl(
                                                Located.of(e.key(), e.keyPos()),
                                                e.keyPos(),
                                                items));
                            });
        }
        return out;
    }

    // ---- limits and thresholds -----------------------------------------------------------------

    private LimitsDecl limits(Node node) {
        Map<String, Yaml.Entry> m =
                Yaml.mapping(node, "'limits'", Language.LIMITS, problems).orElse(Map.of());
        return new LimitsDecl(
                Yaml.pos(node),
                value(m, "message-size", (v, what) -> Values.readSize(v, what, problems)),
                number(m, "recipients"),
                number(m, "command-line"),
                number(m, "data-line"),
                value(m, "header-bytes", (v, what) -> Values.readSize(v, what, problems)),
                value(m, "command-timeout", (v, what) -> Values.readDuration(v, what, problems)),
                value(m, "data-timeout", (v, what) -> Values.readDuration(v, what, problems)),
                number(m, "connections"),
                number(m, "connections-per-client"),
                number(m, "commands"),
                number(m, "errors"));
    }

    /** {@code integrity: {interval: 5m, on-mismatch: refuse-mail}}. */
    private IntegrityDecl integrity(Node node) {
        Map<String, Yaml.Entry> m =
                Yaml.mapping(node, "'integrity'", Language.INTEGRITY, problems).orElse(Map.of());
        return new IntegrityDecl(
                Yaml.pos(node),
                value(m, "interval", (v, what) -> Values.readDuration(v, what, problems)),
                value(m, "on-mismatch", (v, what) -> Values.readString(v, what, problems)));
    }

    private Optional<Located<BigDecimal>> number(Map<String, Yaml.Entry> m, String key) {
        return value(m, key, (v, what) -> Values.readNumber(v, what, problems));
    }

    private static <T> Optional<Located<T>> value(
            Map<String, Yaml.Entry> m,
            String key,
            java.util.function.BiFunction<Node, String, Optional<Located<T>>> reader) {
        Yaml.Entry e = m.get(key);
        return e == null ? Optional.empty() : reader.apply(e.value(), "'" + key + "'");
    }

    private ThresholdsDecl thresholds(Node node) {
        Map<String, Yaml.Entry> m =
                Yaml.mapping(node, "'thresholds'", Language.THRESHOLDS, problems).orElse(Map.of());
        Function<String, Optional<Located<BigDecimal>>> threshold =
                k ->
                        m.containsKey(k)
                                ? Values.readNumber(
                                        m.get(k).value(), "threshold '" + k + "'", problems)
                                : Optional.empty();
        return new ThresholdsDecl(
                Yaml.pos(node),
                threshold.apply("tag"),
                threshold.apply("quarantine"),
                threshold.apply("reject"));
    }

    // ---- classifier ----------------------------------------------------------------------------

    /**
     * {@code classifier: {corpus: {ham: DIR, spam: DIR}, algorithm: A, minimum-count: N, folds: K,
     * bar: {spam-recall: R, ham-false-positives: F}}}; the canonical form has {@code model: SHA256}
     * where a directory has {@code corpus}.
     */
    private Optional<ClassifierDecl> classifier(Node node) {
        Map<String, Yaml.Entry> m =
                Yaml.mapping(node, "'classifier'", Language.CLASSIFIER, problems).orElse(null);
        if (m == null) {
            return Optional.empty();
        }
        Optional<Located<String>> ham = Optional.empty();
        Optional<Located<String>> spam = Optional.empty();
        if (m.containsKey("corpus")) {
            Node c = m.get("corpus").value();
            Map<String, Yaml.Entry> corpus =
                    Yaml.mapping(c, "'corpus'", Yaml.keys("ham", "spam"), problems).orElse(null);
            if (corpus != null) {
                if (!corpus.containsKey("ham") || !corpus.containsKey("spam")) {
                    problems.error(
                            Yaml.pos(c),
                            "'corpus' needs 'ham' and 'spam': the folders (or .tar.gz archives)"
                                    + " of each class, relative to the policy directory");
                }
                ham = text(corpus, "ham");
                spam = text(corpus, "spam");
            }
        }
        Pos barPos = Yaml.pos(node);
        Optional<Located<BigDecimal>> recall = Optional.empty();
        Optional<Located<BigDecimal>> falsePositives = Optional.empty();
        if (!m.containsKey("bar")) {
            problems.error(
                    Yaml.pos(node),
                    "'classifier' needs a 'bar': {spam-recall: R, ham-false-positives: F}, the"
                            + " quality the build's cross-validation must show");
        } else {
            Node b = m.get("bar").value();
            barPos = Yaml.pos(b);
            Map<String, Yaml.Entry> bar =
                    Yaml.mapping(
                                    b,
                                    "'bar'",
                                    Yaml.keys("spam-recall", "ham-false-positives"),
                                    problems)
                            .orElse(null);
            if (bar != null) {
                if (!bar.containsKey("spam-recall") || !bar.containsKey("ham-false-positives")) {
                    problems.error(barPos, "'bar' needs 'spam-recall' and 'ham-false-positives'");
                }
                recall = number(bar, "spam-recall");
                falsePositives = number(bar, "ham-false-positives");
            }
        }
        return Optional.of(
                new ClassifierDecl(
                        Yaml.pos(node),
                        ham,
                        spam,
                        text(m, "model"),
                        text(m, "algorithm"),
                        number(m, "minimum-count"),
                        number(m, "folds"),
                        barPos,
                        recall,
                        falsePositives));
    }

    /**
     * {@code public-suffixes: {sha256: HEX}}: only in a canonical form, naming the snapshot that
     * travels beside it (a policy directory keeps it in {@code psl/public_suffix_list.dat}).
     */
    private Optional<Located<String>> publicSuffixes(Node node) {
        Map<String, Yaml.Entry> m =
                Yaml.mapping(node, "'public-suffixes'", Yaml.keys("sha256"), problems).orElse(null);
        if (m == null) {
            return Optional.empty();
        }
        if (!m.containsKey("sha256")) {
            problems.error(Yaml.pos(node), "'public-suffixes' needs 'sha256'");
        }
        return text(m, "sha256");
    }

    private Optional<Located<String>> text(Map<String, Yaml.Entry> m, String key) {
        return value(m, key, (v, what) -> Values.readString(v, what, problems));
    }

    // ---- tag -----------------------------------------------------------------------------------

    /**
     * Tag settings: the top-level {@code tag:} and a rule's own; the headers that read, if others
     * did not.
     */
    static Read<TagDecl> tag(Node node, String what, Problems problems) {
        Map<String, Yaml.Entry> m = Yaml.mapping(node, what, Language.TAG, problems).orElse(null);
        if (m == null) {
            return Read.failed();
        }
        if (m.isEmpty()) {
            problems.error(Yaml.pos(node), what + " must set 'subject-prefix' or 'headers'");
            return Read.failed();
        }
        boolean complete = true;
        Optional<Located<String>> prefix = Optional.empty();
        if (m.containsKey("subject-prefix")) {
            prefix =
                    Values.readString(
                            m.get("subject-prefix").value(), "'subject-prefix'", problems);
            complete = prefix.isPresent();
        }
        List<TagDecl.Header> headers = new ArrayList<>();
        if (m.containsKey("headers")) {
            Optional<Map<String, Yaml.Entry>> hs =
                    Yaml.mapping(m.get("headers").value(), "'headers'", null, problems);
            if (hs.isEmpty()) {
                complete = false;
            } else {
                for (Yaml.Entry h : hs.get().values()) {
                    Optional<TagDecl.Header> header = header(h, problems);
                    header.ifPresent(headers::add);
                    complete &= header.isPresent();
                }
            }
        }
        return Read.of(new TagDecl(Yaml.pos(node), prefix, headers), complete);
    }

    private static Optional<TagDecl.Header> header(Yaml.Entry h, Problems problems) {
        String name = h.key();
        if (!Language.validHeaderName(name)) {
            problems.error(h.keyPos(), "'" + name + "' is not a valid header name");
            return Optional.empty();
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (RESERVED_HEADERS.contains(lower)) {
            problems.error(
                    h.keyPos(),
                    "a tag may not set header '"
                            + name
                            + "'"
                            + (lower.equals("subject") ? ": use 'subject-prefix'" : ""));
            return Optional.empty();
        }
        return Values.readString(h.value(), "header '" + name + "'", problems)
                .map(v -> new TagDecl.Header(Located.of(name, h.keyPos()), v));
    }
}
