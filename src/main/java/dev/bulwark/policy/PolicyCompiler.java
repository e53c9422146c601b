package dev.bulwark.policy;

import dev.bulwark.check.Limits;
import dev.bulwark.check.RelayDomains;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.check.rules.Action;
import dev.bulwark.check.rules.AddressSet;
import dev.bulwark.check.rules.CidrSet;
import dev.bulwark.check.rules.Cidrs;
import dev.bulwark.check.rules.Condition;
import dev.bulwark.check.rules.DomainSet;
import dev.bulwark.check.rules.HeloShape;
import dev.bulwark.check.rules.NameSet;
import dev.bulwark.check.rules.Rule;
import dev.bulwark.check.rules.RuleSet;
import dev.bulwark.check.rules.Text;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.PathSyntaxException;
import dev.bulwark.json.JsonWriter;
import dev.bulwark.ratelimit.LimitSpec;
import dev.bulwark.regex.Regex;
import dev.bulwark.regex.RegexSyntaxException;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.Function;

/**
 * Source to compiled policy: parse, resolve lists, validate, compile regexes, build lookup
 * structures, analyse, and write the canonical form whose SHA-256 is the digest. Every problem is
 * collected; the compilation fails once, at the end, with all of them sorted.
 */
final class PolicyCompiler {

    static final int LANGUAGE = 1;

    static final Set<String> TOP =
            Yaml.keys(
                    "language",
                    "relay-domains",
                    "quarantine",
                    "limits",
                    "thresholds",
                    "tag",
                    "lists",
                    "rate-limits",
                    "rules");
    static final Set<String> RULE =
            Yaml.keys("id", "description", "when", "action", "score", "shadow", "reply", "tag");
    static final Set<String> ACTIONS =
            Yaml.keys("accept", "reject", "defer", "discard", "quarantine", "tag");
    static final Set<String> COMPOSITES = Yaml.keys("all", "any", "not");

    /** Every matcher, with the earliest stage at which its facts are known. */
    static final Map<String, Stage> MATCHERS = matchers();

    static final Set<String> LIMITS =
            Yaml.keys(
                    "message-size",
                    "recipients",
                    "command-line",
                    "data-line",
                    "header-bytes",
                    "command-timeout",
                    "data-timeout",
                    "connections",
                    "connections-per-client",
                    "commands",
                    "errors");
    static final Set<String> RATE_LIMIT =
            Yaml.keys(
                    "id",
                    "description",
                    "stage",
                    "key",
                    "prefix",
                    "capacity",
                    "period",
                    "cost",
                    "scope",
                    "shadow");

    private static Map<String, Stage> matchers() {
        Map<String, Stage> m = new LinkedHashMap<>();
        m.put("client-ip-in", Stage.CONNECT);
        m.put("helo-is", Stage.HELO);
        m.put("helo-matches", Stage.HELO);
        m.put("helo-in", Stage.HELO);
        m.put("sender-in", Stage.MAIL);
        m.put("sender-matches", Stage.MAIL);
        m.put("sender-null", Stage.MAIL);
        m.put("recipient-in", Stage.RCPT);
        m.put("recipient-matches", Stage.RCPT);
        for (String k :
                List.of(
                        "header-present",
                        "header-absent",
                        "header-matches",
                        "subject-contains",
                        "subject-matches",
                        "body-contains",
                        "body-matches",
                        "raw-matches",
                        "attachment-name-matches",
                        "attachment-extension-in",
                        "attachment-type-in",
                        "size-over",
                        "url-host-in",
                        "url-host-is-ip",
                        "mime-malformed")) {
            m.put(k, Stage.DATA);
        }
        return Map.copyOf(m);
    }

    /** The result of a successful compilation. */
    record Output(
            RuleSet rules,
            Limits limits,
            RelayDomains relayDomains,
            List<String> relayEntries,
            List<LimitSpec> rateLimits,
            String canonical,
            String digest,
            List<Diagnostic> warnings) {}

    private final Problems problems = new Problems();
    private final ListTable lists = new ListTable(problems);

    /** Ids of rules and limits, for duplicate detection: id to where it was defined. */
    private final Map<String, List<Pos>> ids = new LinkedHashMap<>();

    private final List<Pos> quarantineUses = new ArrayList<>();
    private final List<Pos> scoreUses = new ArrayList<>();

    private PolicyCompiler() {}

    static Output compile(PolicySource source) throws PolicyException {
        return new PolicyCompiler().run(source);
    }

    private Output run(PolicySource source) throws PolicyException {
        for (Pos p : source.ignored()) {
            problems.warning(p, "ignored: list files are named NAME.txt");
        }
        for (PolicySource.ListFile f : source.lists()) {
            lists.addFile(f.name(), f.file(), f.text());
        }
        Optional<Node> root = Yaml.load(source.mainFile(), source.mainText(), problems);
        if (root.isEmpty()) {
            if (!problems.hasErrors()) {
                problems.error(new Pos(source.mainFile(), 1, 1), "the policy file is empty");
            }
            throw new PolicyException(problems.sorted());
        }
        Map<String, Yaml.Entry> top =
                Yaml.mapping(root.get(), "the policy", TOP, problems).orElse(Map.of());
        Pos start = Yaml.pos(root.get());
        Map<String, Object> canon = new LinkedHashMap<>();

        int language = LANGUAGE;
        if (top.containsKey("language")) {
            Yaml.Entry e = top.get("language");
            Optional<BigDecimal> v = Yaml.number(e.value(), "'language'", problems);
            if (v.isPresent() && v.get().compareTo(BigDecimal.valueOf(LANGUAGE)) != 0) {
                problems.error(
                        e.pos(),
                        "language "
                                + v.get()
                                + " is not supported: this compiler reads language "
                                + LANGUAGE);
            }
        }
        canon.put("language", (long) language);

        if (top.containsKey("lists")) {
            Yaml.mapping(top.get("lists").value(), "'lists'", null, problems)
                    .ifPresent(
                            m -> {
                                for (Yaml.Entry e : m.values()) {
                                    if (!validName(e.key())) {
                                        problems.error(
                                                e.keyPos(),
                                                "list name '"
                                                        + e.key()
                                                        + "' must be lower-case letters, digits,"
                                                        + " '-', '_' or '.'");
                                        continue;
                                    }
                                    Yaml.sequence(e.value(), "list '" + e.key() + "'", problems)
                                            .ifPresent(
                                                    nodes ->
                                                            lists.addInline(
                                                                    e.key(), e.keyPos(), nodes));
                                }
                            });
        }

        Limits limits =
                top.containsKey("limits")
                        ? limits(top.get("limits").value(), canon)
                        : defaultLimits(canon);

        List<String> relayEntries = List.of();
        if (!top.containsKey("relay-domains")) {
            if (root.get() instanceof MappingNode) {
                problems.error(
                        start,
                        "the policy has no 'relay-domains': without them no mail can be accepted");
            }
        } else {
            Yaml.Entry e = top.get("relay-domains");
            Optional<ListRef> ref = listRef(e.value(), ListKind.DOMAIN, "'relay-domains'");
            if (ref.isPresent()) {
                relayEntries = ref.get().entries;
                canon.put("relay-domains", ref.get().canon);
                if (relayEntries.isEmpty()) {
                    problems.error(e.pos(), "'relay-domains' is empty: no mail could be accepted");
                }
            }
        }

        Optional<Mailbox> quarantine = Optional.empty();
        if (top.containsKey("quarantine")) {
            Yaml.Entry e = top.get("quarantine");
            Optional<String> s = Yaml.string(e.value(), "'quarantine'", problems);
            if (s.isPresent()) {
                try {
                    Mailbox m = Mailbox.of(s.get().trim());
                    if (m.isBarePostmaster() || m.hasAddressLiteral()) {
                        problems.error(
                                e.pos(),
                                "'quarantine' must be an address local@domain, not '"
                                        + s.get()
                                        + "'");
                    } else {
                        quarantine = Optional.of(m);
                        canon.put("quarantine", m.address());
                    }
                } catch (PathSyntaxException ex) {
                    problems.error(
                            e.pos(),
                            "'quarantine' is not a valid address: "
                                    + ex.getMessage()
                                    + ": '"
                                    + s.get()
                                    + "'");
                }
            }
        }

        RuleSet.Thresholds thresholds =
                top.containsKey("thresholds")
                        ? thresholds(top.get("thresholds").value(), canon)
                        : RuleSet.Thresholds.none();

        Action.TagSpec defaultTag =
                top.containsKey("tag")
                        ? tagSpec(top.get("tag").value(), "'tag'").orElse(DEFAULT_TAG)
                        : DEFAULT_TAG;
        canon.put("tag", tagCanon(defaultTag));

        Map<Stage, List<Rule>> rules = new EnumMap<>(Stage.class);
        Map<Stage, List<Pos>> rulePositions = new EnumMap<>(Stage.class);
        Map<String, Object> rulesCanon = new LinkedHashMap<>();
        for (Stage s : Stage.values()) {
            rules.put(s, new ArrayList<>());
            rulePositions.put(s, new ArrayList<>());
        }
        if (top.containsKey("rules")) {
            Set<String> stageKeys = Yaml.keys("connect", "helo", "mail", "rcpt", "data");
            Yaml.mapping(top.get("rules").value(), "'rules'", stageKeys, problems)
                    .ifPresent(
                            m -> {
                                for (Yaml.Entry e : m.values()) {
                                    Stage stage = Stage.valueOf(e.key().toUpperCase(Locale.ROOT));
                                    Yaml.sequence(e.value(), "the " + e.key() + " rules", problems)
                                            .ifPresent(
                                                    nodes -> {
                                                        for (Node n : nodes) {
                                                            rule(n, stage)
                                                                    .ifPresent(
                                                                            r -> {
                                                                                rules.get(stage)
                                                                                        .add(
                                                                                                r.rule);
                                                                                rulePositions
                                                                                        .get(stage)
                                                                                        .add(r.pos);
                                                                                @SuppressWarnings(
                                                                                        "unchecked")
                                                                                List<Object> l =
                                                                                        (List<
                                                                                                        Object>)
                                                                                                rulesCanon
                                                                                                        .computeIfAbsent(
                                                                                                                stage
                                                                                                                        .key(),
                                                                                                                k ->
                                                                                                                        new ArrayList<>());
                                                                                l.add(r.canon);
                                                                            });
                                                        }
                                                    });
                                }
                            });
        }
        Map<String, Object> orderedRules = new LinkedHashMap<>();
        for (Stage s : Stage.values()) {
            orderedRules.put(s.key(), rulesCanon.getOrDefault(s.key(), List.of()));
        }

        List<LimitSpec> rateLimits = new ArrayList<>();
        List<Object> rateCanon = new ArrayList<>();
        if (top.containsKey("rate-limits")) {
            Yaml.sequence(top.get("rate-limits").value(), "'rate-limits'", problems)
                    .ifPresent(
                            nodes -> {
                                List<Pos> positions = new ArrayList<>();
                                for (Node n : nodes) {
                                    rateLimit(n, limits)
                                            .ifPresent(
                                                    r -> {
                                                        for (int i = 0;
                                                                i < rateLimits.size();
                                                                i++) {
                                                            LimitSpec o = rateLimits.get(i);
                                                            if (sameBuckets(o, r.spec)) {
                                                                problems.warning(
                                                                        r.pos,
                                                                        "limit '"
                                                                                + r.spec.id()
                                                                                + "' counts the"
                                                                                + " same thing as"
                                                                                + " limit '"
                                                                                + o.id()
                                                                                + "' ("
                                                                                + positions
                                                                                        .get(i)
                                                                                        .relativeTo(
                                                                                                r.pos)
                                                                                + "): only the"
                                                                                + " stricter one"
                                                                                + " matters");
                                                            }
                                                        }
                                                        rateLimits.add(r.spec);
                                                        positions.add(r.pos);
                                                        rateCanon.add(r.canon);
                                                    });
                                }
                            });
        }

        if (quarantine.isEmpty()) {
            for (Pos p : quarantineUses) {
                problems.error(
                        p, "quarantine needs a 'quarantine' mailbox at the top of the policy");
            }
        }
        analyseIds();
        analyseThresholds(top, thresholds, rules);
        analyseReachability(rules, rulePositions);

        canon.put("rate-limits", rateCanon);
        canon.put("rules", orderedRules);
        Map<String, Object> listCanon = new LinkedHashMap<>();
        for (ListTable.Resolved r : lists.finish().values()) {
            listCanon.put(r.name(), List.copyOf(r.entries()));
        }
        canon.put("lists", listCanon);

        if (problems.hasErrors()) {
            throw new PolicyException(problems.sorted());
        }
        String canonical = JsonWriter.write(canon);
        RuleSet ruleSet = new RuleSet(rules, thresholds, defaultTag, quarantine);
        return new Output(
                ruleSet,
                limits,
                RelayDomains.of(relayEntries),
                relayEntries,
                List.copyOf(rateLimits),
                canonical,
                sha256(canonical),
                problems.sorted());
    }

    static String sha256(String text) {
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256")
                            .digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this runtime", e);
        }
    }

    // ---- limits --------------------------------------------------------------------------------

    private Limits defaultLimits(Map<String, Object> canon) {
        Limits d = Limits.defaults();
        canon.put("limits", limitsCanon(d));
        return d;
    }

    private Limits limits(Node node, Map<String, Object> canon) {
        Limits d = Limits.defaults();
        Map<String, Yaml.Entry> m =
                Yaml.mapping(node, "'limits'", LIMITS, problems).orElse(Map.of());
        long messageSize = sizeValue(m.get("message-size"), d.maxMessageSize(), 1024, 1L << 40);
        int recipients = (int) intValue(m.get("recipients"), d.maxRecipients(), 1, 100_000);
        int commandLine =
                (int)
                        intValue(
                                m.get("command-line"),
                                d.maxCommandLine(),
                                512,
                                Limits.COMMAND_LINE_CAP);
        int dataLine = (int) intValue(m.get("data-line"), d.maxDataLine(), 78, 1_000_000);
        int headerBytes =
                (int) sizeValue(m.get("header-bytes"), d.maxHeaderBytes(), 1024, 64L * 1024 * 1024);
        Duration commandTimeout =
                durationValue(
                        m.get("command-timeout"),
                        d.commandTimeout(),
                        Duration.ofSeconds(1),
                        Duration.ofHours(1));
        Duration dataTimeout =
                durationValue(
                        m.get("data-timeout"),
                        d.dataTimeout(),
                        Duration.ofSeconds(1),
                        Duration.ofHours(2));
        int connections = (int) intValue(m.get("connections"), d.maxConnections(), 1, 1_000_000);
        int perClient =
                (int)
                        intValue(
                                m.get("connections-per-client"),
                                d.maxConnectionsPerClient(),
                                1,
                                1_000_000);
        int commands = (int) intValue(m.get("commands"), d.maxCommands(), 10, 10_000_000);
        int errors = (int) intValue(m.get("errors"), d.maxErrors(), 1, 10_000);
        if (m.containsKey("data-line") && dataLine > 998) {
            problems.warning(
                    m.get("data-line").pos(),
                    "data-line "
                            + dataLine
                            + " is over RFC 5322's 998 octets: the next hop may refuse such lines");
        }
        if (m.containsKey("header-bytes") && headerBytes > messageSize) {
            problems.error(
                    m.get("header-bytes").pos(),
                    "header-bytes "
                            + Values.size(headerBytes)
                            + " is larger than message-size "
                            + Values.size(messageSize));
        }
        if (m.containsKey("connections-per-client") && perClient > connections) {
            problems.error(
                    m.get("connections-per-client").pos(),
                    "connections-per-client "
                            + perClient
                            + " is larger than connections "
                            + connections);
        }
        Limits limits;
        try {
            limits =
                    new Limits(
                            messageSize,
                            recipients,
                            commandLine,
                            dataLine,
                            headerBytes,
                            commandTimeout,
                            dataTimeout,
                            connections,
                            perClient,
                            commands,
                            errors);
        } catch (IllegalArgumentException e) {
            problems.error(Yaml.pos(node), e.getMessage());
            limits = d;
        }
        canon.put("limits", limitsCanon(limits));
        return limits;
    }

    private static Map<String, Object> limitsCanon(Limits l) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("message-size", l.maxMessageSize());
        c.put("recipients", (long) l.maxRecipients());
        c.put("command-line", (long) l.maxCommandLine());
        c.put("data-line", (long) l.maxDataLine());
        c.put("header-bytes", (long) l.maxHeaderBytes());
        c.put("command-timeout", Values.duration(l.commandTimeout()));
        c.put("data-timeout", Values.duration(l.dataTimeout()));
        c.put("connections", (long) l.maxConnections());
        c.put("connections-per-client", (long) l.maxConnectionsPerClient());
        c.put("commands", (long) l.maxCommands());
        c.put("errors", (long) l.maxErrors());
        return c;
    }

    private long intValue(Yaml.Entry e, long fallback, long min, long max) {
        return intValue(e, fallback, min, max, e == null ? "" : e.key() + " limit");
    }

    private long intValue(Yaml.Entry e, long fallback, long min, long max, String what) {
        if (e == null) {
            return fallback;
        }
        Optional<BigDecimal> n = Yaml.number(e.value(), "'" + e.key() + "'", problems);
        if (n.isEmpty()) {
            return fallback;
        }
        BigDecimal v = n.get();
        if (v.stripTrailingZeros().scale() > 0) {
            problems.error(e.pos(), v + " is not a valid " + what + ": it must be a whole number");
            return fallback;
        }
        if (v.compareTo(BigDecimal.valueOf(min)) < 0 || v.compareTo(BigDecimal.valueOf(max)) > 0) {
            problems.error(
                    e.pos(),
                    v + " is not a valid " + what + ": it must be between " + min + " and " + max);
            return fallback;
        }
        return v.longValueExact();
    }

    private long sizeValue(Yaml.Entry e, long fallback, long min, long max) {
        if (e == null) {
            return fallback;
        }
        Optional<Long> v = size(e.value(), "'" + e.key() + "'");
        if (v.isEmpty()) {
            return fallback;
        }
        if (v.get() < min || v.get() > max) {
            problems.error(
                    e.pos(),
                    Yaml.scalar(e.value())
                            + " is not a valid "
                            + e.key()
                            + " limit: it must be between "
                            + Values.size(min)
                            + " and "
                            + Values.size(max));
            return fallback;
        }
        return v.get();
    }

    private Optional<Long> size(Node n, String what) {
        if (!Yaml.isScalar(n)) {
            problems.error(
                    Yaml.pos(n), what + " must be a size such as 25MiB, not " + Yaml.describe(n));
            return Optional.empty();
        }
        Optional<Long> v = Values.size(Yaml.scalar(n));
        if (v.isEmpty()) {
            problems.error(
                    Yaml.pos(n),
                    "'"
                            + Yaml.scalar(n)
                            + "' is not a size: write bytes, or a number with KB, MB, GB,"
                            + " KiB, MiB or GiB, such as 25MiB");
        }
        return v;
    }

    private Duration durationValue(Yaml.Entry e, Duration fallback, Duration min, Duration max) {
        if (e == null) {
            return fallback;
        }
        Optional<Duration> d = duration(e.value(), "'" + e.key() + "'");
        if (d.isEmpty()) {
            return fallback;
        }
        if (d.get().compareTo(min) < 0 || d.get().compareTo(max) > 0) {
            problems.error(
                    e.pos(),
                    Yaml.scalar(e.value())
                            + " is not a valid "
                            + e.key()
                            + " limit: it must be between "
                            + Values.human(min)
                            + " and "
                            + Values.human(max));
            return fallback;
        }
        return d.get();
    }

    private Optional<Duration> duration(Node n, String what) {
        if (!Yaml.isScalar(n)) {
            problems.error(
                    Yaml.pos(n), what + " must be a duration such as 30s, not " + Yaml.describe(n));
            return Optional.empty();
        }
        Optional<Duration> d = Values.duration(Yaml.scalar(n));
        if (d.isEmpty()) {
            problems.error(
                    Yaml.pos(n),
                    "'"
                            + Yaml.scalar(n)
                            + "' is not a duration: write a number with ms, s, m, h or d,"
                            + " such as 30s");
        }
        return d;
    }

    // ---- thresholds and tags -------------------------------------------------------------------

    private RuleSet.Thresholds thresholds(Node node, Map<String, Object> canon) {
        Map<String, Yaml.Entry> m =
                Yaml.mapping(
                                node,
                                "'thresholds'",
                                Yaml.keys("tag", "quarantine", "reject"),
                                problems)
                        .orElse(Map.of());
        Map<String, Object> c = new LinkedHashMap<>();
        Map<String, BigDecimal> values = new LinkedHashMap<>();
        for (String k : List.of("tag", "quarantine", "reject")) {
            Yaml.Entry e = m.get(k);
            if (e == null) {
                continue;
            }
            Yaml.number(e.value(), "threshold '" + k + "'", problems)
                    .ifPresent(
                            v -> {
                                if (v.signum() <= 0) {
                                    problems.error(
                                            e.pos(),
                                            JsonWriter.number(v)
                                                    + " is not a valid "
                                                    + k
                                                    + " threshold: it must be positive (a message"
                                                    + " without hits scores 0)");
                                    return;
                                }
                                values.put(k, v);
                                c.put(k, v);
                            });
        }
        List<String> present =
                values.keySet().stream().toList(); // in tag, quarantine, reject order
        for (int i = 0; i + 1 < present.size(); i++) {
            String lo = present.get(i);
            String hi = present.get(i + 1);
            if (values.get(lo).compareTo(values.get(hi)) >= 0) {
                problems.error(
                        m.get(lo).pos(),
                        lo
                                + " threshold "
                                + JsonWriter.number(values.get(lo))
                                + " must be below the "
                                + hi
                                + " threshold "
                                + JsonWriter.number(values.get(hi))
                                + ": a "
                                + lo
                                + " could never happen");
            }
        }
        if (values.containsKey("quarantine")) {
            quarantineUses.add(m.get("quarantine").pos());
        }
        canon.put("thresholds", c);
        Function<String, OptionalDouble> get =
                k ->
                        values.containsKey(k)
                                ? OptionalDouble.of(values.get(k).doubleValue())
                                : OptionalDouble.empty();
        return new RuleSet.Thresholds(
                get.apply("tag"), get.apply("quarantine"), get.apply("reject"));
    }

    static final Action.TagSpec DEFAULT_TAG =
            new Action.TagSpec(
                    List.of(
                            new Verdict.Header("X-Spam-Flag", "YES"),
                            new Verdict.Header("X-Spam-Score", "{score}")),
                    Optional.empty());

    private Optional<Action.TagSpec> tagSpec(Node node, String what) {
        Map<String, Yaml.Entry> m =
                Yaml.mapping(node, what, Yaml.keys("subject-prefix", "headers"), problems)
                        .orElse(null);
        if (m == null) {
            return Optional.empty();
        }
        if (m.isEmpty()) {
            problems.error(Yaml.pos(node), what + " must set 'subject-prefix' or 'headers'");
            return Optional.empty();
        }
        boolean ok = true;
        Optional<String> prefix = Optional.empty();
        if (m.containsKey("subject-prefix")) {
            Yaml.Entry e = m.get("subject-prefix");
            Optional<String> s = Yaml.string(e.value(), "'subject-prefix'", problems);
            if (s.isPresent() && printable(s.get(), e.pos(), "subject-prefix", 64)) {
                prefix = s;
            } else {
                ok = false;
            }
        }
        List<Verdict.Header> headers = new ArrayList<>();
        if (m.containsKey("headers")) {
            Optional<Map<String, Yaml.Entry>> hs =
                    Yaml.mapping(m.get("headers").value(), "'headers'", null, problems);
            if (hs.isEmpty()) {
                ok = false;
            } else {
                for (Yaml.Entry h : hs.get().values()) {
                    String name = h.key();
                    if (name.isEmpty()
                            || !name.chars().allMatch(c -> c > 32 && c < 127 && c != ':')) {
                        problems.error(h.keyPos(), "'" + name + "' is not a valid header name");
                        ok = false;
                        continue;
                    }
                    String lower = name.toLowerCase(Locale.ROOT);
                    if (lower.equals("x-bulwark")
                            || lower.equals("received")
                            || lower.equals("subject")
                            || lower.equals("from")
                            || lower.equals("to")
                            || lower.equals("date")
                            || lower.equals("message-id")) {
                        problems.error(
                                h.keyPos(),
                                "a tag may not set header '"
                                        + name
                                        + "'"
                                        + (lower.equals("subject")
                                                ? ": use 'subject-prefix'"
                                                : ""));
                        ok = false;
                        continue;
                    }
                    Optional<String> v = Yaml.string(h.value(), "header '" + name + "'", problems);
                    if (v.isEmpty() || !printable(v.get(), h.pos(), "header '" + name + "'", 200)) {
                        ok = false;
                        continue;
                    }
                    headers.add(new Verdict.Header(name, v.get()));
                }
            }
        }
        return ok ? Optional.of(new Action.TagSpec(headers, prefix)) : Optional.empty();
    }

    private static Map<String, Object> tagCanon(Action.TagSpec t) {
        Map<String, Object> c = new LinkedHashMap<>();
        t.subjectPrefix().ifPresent(p -> c.put("subject-prefix", p));
        Map<String, Object> h = new LinkedHashMap<>();
        for (Verdict.Header header : t.headers()) {
            h.put(header.name(), header.value());
        }
        c.put("headers", h);
        return c;
    }

    /** Text that goes into an SMTP reply or a header: printable ASCII, bounded length. */
    private boolean printable(String s, Pos pos, String what, int max) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 32 || c > 126) {
                problems.error(
                        pos,
                        what
                                + " must be printable ASCII: character "
                                + String.format("U+%04X", (int) c)
                                + " at offset "
                                + i
                                + " is not");
                return false;
            }
        }
        if (s.length() > max) {
            problems.error(
                    pos,
                    what
                            + " is "
                            + s.length()
                            + " characters long: at most "
                            + max
                            + " are allowed");
            return false;
        }
        return true;
    }

    // ---- rules ---------------------------------------------------------------------------------

    private record Compiled(Rule rule, Pos pos, Map<String, Object> canon) {}

    private record Cond(Condition condition, Object canon) {}

    private Optional<Compiled> rule(Node node, Stage stage) {
        Optional<Map<String, Yaml.Entry>> mapping = Yaml.mapping(node, "a rule", RULE, problems);
        if (mapping.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Yaml.Entry> m = mapping.get();
        Pos pos = Yaml.pos(node);
        boolean ok = true;
        String id = null;
        if (!m.containsKey("id")) {
            problems.error(pos, "a rule needs an 'id'");
            ok = false;
        } else {
            Yaml.Entry e = m.get("id");
            id = Yaml.string(e.value(), "a rule id", problems).orElse(null);
            if (id == null) {
                ok = false;
            } else if (!validName(id)) {
                problems.error(
                        e.pos(),
                        "rule id '" + id + "' must be lower-case letters, digits, '-', '_' or '.'");
                ok = false;
            } else {
                ok &= claimId(id, e.pos());
            }
        }
        if (m.containsKey("description")) {
            Yaml.string(m.get("description").value(), "a description", problems);
        }
        Map<String, Object> canon = new LinkedHashMap<>();
        canon.put("id", id == null ? "" : id);

        Condition when = new Condition.Always();
        if (m.containsKey("when")) {
            Optional<Cond> c = condition(m.get("when").value(), stage);
            if (c.isPresent()) {
                when = c.get().condition;
                canon.put("when", c.get().canon);
            } else {
                ok = false;
            }
        }

        boolean shadow = false;
        if (m.containsKey("shadow")) {
            shadow = Yaml.bool(m.get("shadow").value(), "'shadow'", problems).orElse(false);
        }

        Action action = null;
        Yaml.Entry actionEntry = m.get("action");
        Yaml.Entry scoreEntry = m.get("score");
        if (actionEntry != null && scoreEntry != null) {
            problems.error(scoreEntry.keyPos(), "a rule has either 'action' or 'score', not both");
            ok = false;
        } else if (actionEntry == null && scoreEntry == null) {
            problems.error(
                    pos, "rule '" + (id == null ? "?" : id) + "' needs an 'action' or a 'score'");
            ok = false;
        } else if (scoreEntry != null) {
            Optional<BigDecimal> points = Yaml.number(scoreEntry.value(), "'score'", problems);
            if (points.isPresent()) {
                if (points.get().signum() == 0) {
                    problems.warning(scoreEntry.pos(), "score 0 has no effect");
                }
                if (points.get().abs().compareTo(BigDecimal.valueOf(1000)) > 0) {
                    problems.error(
                            scoreEntry.pos(),
                            JsonWriter.number(points.get())
                                    + " is not a valid score: it must be between -1000 and 1000");
                    ok = false;
                }
                action = new Action.Score(points.get().doubleValue());
                canon.put("score", points.get());
                scoreUses.add(scoreEntry.pos());
            } else {
                ok = false;
            }
        } else {
            Optional<String> name = Yaml.string(actionEntry.value(), "'action'", problems);
            if (name.isEmpty()) {
                ok = false;
            } else if (!ACTIONS.contains(name.get())) {
                String hint =
                        name.get().equals("score")
                                ? ": write 'score: N' instead of 'action'"
                                : Suggest.didYouMean(name.get(), ACTIONS);
                problems.error(actionEntry.pos(), "unknown action '" + name.get() + "'" + hint);
                ok = false;
            } else {
                Optional<String> reply = Optional.empty();
                if (m.containsKey("reply")) {
                    Yaml.Entry r = m.get("reply");
                    if (!name.get().equals("reject") && !name.get().equals("defer")) {
                        problems.error(
                                r.keyPos(),
                                "'reply' is only for reject and defer, not " + name.get());
                        ok = false;
                    } else {
                        Optional<String> text = Yaml.string(r.value(), "'reply'", problems);
                        if (text.isPresent() && printable(text.get(), r.pos(), "'reply'", 200)) {
                            reply = text;
                        } else {
                            ok = false;
                        }
                    }
                }
                Action.TagSpec tag = null;
                if (m.containsKey("tag")) {
                    if (!name.get().equals("tag")) {
                        problems.error(
                                m.get("tag").keyPos(),
                                "'tag' settings are only for action tag, not " + name.get());
                        ok = false;
                    } else {
                        tag = tagSpec(m.get("tag").value(), "'tag'").orElse(null);
                        ok &= tag != null;
                    }
                }
                action =
                        switch (name.get()) {
                            case "accept" -> new Action.Accept();
                            case "reject" -> new Action.Reject(reply);
                            case "defer" -> new Action.Defer(reply);
                            case "discard" -> new Action.Discard();
                            case "quarantine" -> new Action.Quarantine();
                            default -> new Action.Tag(tag == null ? DEFAULT_TAG : tag);
                        };
                if (action instanceof Action.Quarantine) {
                    quarantineUses.add(actionEntry.pos());
                }
                canon.put("action", name.get());
                reply.ifPresent(r -> canon.put("reply", r));
                if (tag != null) {
                    canon.put("tag", tagCanon(tag));
                }
            }
        }
        if (actionEntry == null && m.containsKey("reply")) {
            problems.error(m.get("reply").keyPos(), "'reply' is only for reject and defer");
            ok = false;
        }
        if (actionEntry == null && m.containsKey("tag")) {
            problems.error(m.get("tag").keyPos(), "'tag' settings are only for action tag");
            ok = false;
        }
        canon.put("shadow", shadow);
        if (!ok) {
            return Optional.empty();
        }
        return Optional.of(new Compiled(new Rule(id, stage, when, action, shadow), pos, canon));
    }

    private boolean claimId(String id, Pos pos) {
        ids.computeIfAbsent(id, k -> new ArrayList<>()).add(pos);
        return true;
    }

    /**
     * Rules and limits share one namespace (audit records name either); the first in the file keeps
     * it.
     */
    private void analyseIds() {
        for (Map.Entry<String, List<Pos>> e : ids.entrySet()) {
            List<Pos> at = new ArrayList<>(e.getValue());
            at.sort(
                    java.util.Comparator.comparing(Pos::file)
                            .thenComparingInt(Pos::line)
                            .thenComparingInt(Pos::column));
            for (Pos p : at.subList(1, at.size())) {
                problems.error(
                        p,
                        "duplicate id '"
                                + e.getKey()
                                + "' (first at "
                                + at.get(0).relativeTo(p)
                                + ")");
            }
        }
    }

    static boolean validName(String s) {
        if (s.isEmpty() || s.length() > 64) {
            return false;
        }
        char c0 = s.charAt(0);
        if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= '0' && c0 <= '9'))) {
            return false;
        }
        return s.chars()
                .allMatch(
                        c ->
                                (c >= 'a' && c <= 'z')
                                        || (c >= '0' && c <= '9')
                                        || c == '-'
                                        || c == '_'
                                        || c == '.');
    }

    private Optional<Cond> condition(Node node, Stage stage) {
        Set<String> allowed = new java.util.LinkedHashSet<>(COMPOSITES);
        allowed.addAll(MATCHERS.keySet());
        Optional<Map<String, Yaml.Entry>> mapping =
                Yaml.mapping(node, "a condition", allowed, problems);
        if (mapping.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Yaml.Entry> m = mapping.get();
        if (m.isEmpty()) {
            if (((MappingNode) node).getValue().isEmpty()) {
                problems.error(Yaml.pos(node), "a condition needs a matcher, or all/any/not");
            }
            return Optional.empty();
        }
        List<Cond> parts = new ArrayList<>();
        boolean ok = true;
        for (Yaml.Entry e : m.values()) {
            Optional<Cond> c = single(e, stage);
            if (c.isPresent()) {
                parts.add(c.get());
            } else {
                ok = false;
            }
        }
        if (!ok) {
            return Optional.empty();
        }
        if (parts.size() == 1) {
            return Optional.of(parts.get(0));
        }
        return Optional.of(
                new Cond(
                        new Condition.All(parts.stream().map(Cond::condition).toList()),
                        Map.of("all", parts.stream().map(Cond::canon).toList())));
    }

    private Optional<Cond> composite(Yaml.Entry e, Stage stage) {
        if (e.key().equals("not")) {
            return condition(e.value(), stage)
                    .map(c -> new Cond(new Condition.Not(c.condition), Map.of("not", c.canon)));
        }
        Optional<List<Node>> nodes = Yaml.sequence(e.value(), "'" + e.key() + "'", problems);
        if (nodes.isEmpty()) {
            return Optional.empty();
        }
        if (nodes.get().isEmpty()) {
            problems.error(e.pos(), "'" + e.key() + "' needs at least one condition");
            return Optional.empty();
        }
        List<Cond> parts = new ArrayList<>();
        boolean ok = true;
        for (Node n : nodes.get()) {
            Optional<Cond> c = condition(n, stage);
            if (c.isPresent()) {
                parts.add(c.get());
            } else {
                ok = false;
            }
        }
        if (!ok) {
            return Optional.empty();
        }
        List<Condition> cs = parts.stream().map(Cond::condition).toList();
        Condition c = e.key().equals("all") ? new Condition.All(cs) : new Condition.Any(cs);
        return Optional.of(new Cond(c, Map.of(e.key(), parts.stream().map(Cond::canon).toList())));
    }

    private Optional<Cond> single(Yaml.Entry e, Stage stage) {
        String key = e.key();
        if (COMPOSITES.contains(key)) {
            return composite(e, stage);
        }
        Stage earliest = MATCHERS.get(key);
        if (earliest.compareTo(stage) > 0) {
            problems.error(
                    e.keyPos(),
                    "'"
                            + key
                            + "' cannot be used in "
                            + stage.key()
                            + " rules: "
                            + known(earliest));
            return Optional.empty();
        }
        Node v = e.value();
        String what = "'" + key + "'";
        Optional<Cond> result =
                switch (key) {
                    case "client-ip-in" ->
                            listRef(v, ListKind.CIDR, what)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.ClientIpIn(
                                                                    r.label,
                                                                    CidrSet.of(
                                                                            r.entries.stream()
                                                                                    .map(
                                                                                            s ->
                                                                                                    ((Cidrs
                                                                                                                            .Parsed
                                                                                                                            .Ok)
                                                                                                                    Cidrs
                                                                                                                            .parse(
                                                                                                                                    s))
                                                                                                            .network())
                                                                                    .toList())),
                                                            key,
                                                            r.canon));
                    case "helo-in" ->
                            listRef(v, ListKind.DOMAIN, what)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.HeloIn(
                                                                    r.label,
                                                                    DomainSet.of(r.entries)),
                                                            key,
                                                            r.canon));
                    case "sender-in" ->
                            listRef(v, ListKind.ADDRESS, what)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.SenderIn(
                                                                    r.label,
                                                                    AddressSet.of(r.entries)),
                                                            key,
                                                            r.canon));
                    case "recipient-in" ->
                            listRef(v, ListKind.ADDRESS, what)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.RecipientIn(
                                                                    r.label,
                                                                    AddressSet.of(r.entries)),
                                                            key,
                                                            r.canon));
                    case "attachment-extension-in" ->
                            listRef(v, ListKind.EXTENSION, what)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.AttachmentExtensionIn(
                                                                    r.label, NameSet.of(r.entries)),
                                                            key,
                                                            r.canon));
                    case "attachment-type-in" ->
                            listRef(v, ListKind.CONTENT_TYPE, what)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.AttachmentTypeIn(
                                                                    r.label, NameSet.of(r.entries)),
                                                            key,
                                                            r.canon));
                    case "url-host-in" ->
                            listRef(v, ListKind.DOMAIN, what)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.UrlHostIn(
                                                                    r.label,
                                                                    DomainSet.of(r.entries)),
                                                            key,
                                                            r.canon));
                    case "helo-matches" ->
                            regex(v, key)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.HeloMatches(r),
                                                            key,
                                                            regexCanon(r)));
                    case "sender-matches" ->
                            regex(v, key)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.SenderMatches(r),
                                                            key,
                                                            regexCanon(r)));
                    case "recipient-matches" ->
                            regex(v, key)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.RecipientMatches(r),
                                                            key,
                                                            regexCanon(r)));
                    case "subject-matches" ->
                            regex(v, key)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.SubjectMatches(r),
                                                            key,
                                                            regexCanon(r)));
                    case "body-matches" ->
                            regex(v, key)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.BodyMatches(r),
                                                            key,
                                                            regexCanon(r)));
                    case "raw-matches" ->
                            regex(v, key)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.RawMatches(r),
                                                            key,
                                                            regexCanon(r)));
                    case "attachment-name-matches" ->
                            regex(v, key)
                                    .map(
                                            r ->
                                                    cond(
                                                            new Condition.AttachmentNameMatches(r),
                                                            key,
                                                            regexCanon(r)));
                    case "subject-contains" ->
                            text(v, key)
                                    .map(
                                            t ->
                                                    cond(
                                                            new Condition.SubjectContains(t),
                                                            key,
                                                            textCanon(t)));
                    case "body-contains" ->
                            text(v, key)
                                    .map(
                                            t ->
                                                    cond(
                                                            new Condition.BodyContains(t),
                                                            key,
                                                            textCanon(t)));
                    case "header-present" ->
                            headerName(v, what)
                                    .map(h -> cond(new Condition.HeaderPresent(h), key, h));
                    case "header-absent" ->
                            headerName(v, what)
                                    .map(h -> cond(new Condition.HeaderAbsent(h), key, h));
                    case "header-matches" -> headerMatches(v);
                    case "helo-is" -> heloShape(v);
                    case "sender-null" ->
                            Yaml.bool(v, what, problems)
                                    .map(b -> cond(new Condition.SenderNull(b), key, b));
                    case "mime-malformed" ->
                            Yaml.bool(v, what, problems)
                                    .map(b -> cond(new Condition.MimeMalformed(b), key, b));
                    case "url-host-is-ip" ->
                            Yaml.bool(v, what, problems)
                                    .map(b -> cond(new Condition.UrlHostIsIp(b), key, b));
                    case "size-over" ->
                            size(v, what)
                                    .flatMap(
                                            n -> {
                                                if (n <= 0) {
                                                    problems.error(
                                                            Yaml.pos(v),
                                                            "'size-over' must be positive");
                                                    return Optional.empty();
                                                }
                                                return Optional.of(
                                                        cond(new Condition.SizeOver(n), key, n));
                                            });
                    default ->
                            throw new IllegalStateException("matcher without a compiler: " + key);
                };
        return result;
    }

    private static String known(Stage earliest) {
        return switch (earliest) {
            case CONNECT -> "the client is known from connect on";
            case HELO -> "the HELO name is not known before helo";
            case MAIL -> "the sender is not known before mail";
            case RCPT -> "the recipients are not known before rcpt";
            case DATA -> "the message is not known before data";
        };
    }

    private static Cond cond(Condition c, String key, Object operand) {
        return new Cond(c, Map.of(key, operand));
    }

    /** A list operand: a name, or entries written in place. */
    private record ListRef(String label, List<String> entries, Object canon) {}

    private Optional<ListRef> listRef(Node v, ListKind kind, String what) {
        if (v instanceof SequenceNode s) {
            return lists.inline(s.getValue(), kind, Yaml.pos(v))
                    .map(e -> new ListRef("inline", e, e));
        }
        if (!Yaml.isScalar(v)) {
            problems.error(
                    Yaml.pos(v),
                    what
                            + " takes a list name or a list of "
                            + kind.label
                            + "s, not "
                            + Yaml.describe(v));
            return Optional.empty();
        }
        String name = Yaml.scalar(v);
        return lists.use(name, kind, Yaml.pos(v)).map(r -> new ListRef(name, r.entries(), name));
    }

    private Optional<Regex> regex(Node v, String key) {
        return cased(v, key, "pattern")
                .flatMap(c -> compileRegex(c.value(), key, c.caseSensitive()));
    }

    /** A value written plainly, or as {@code {FIELD: value, case-sensitive: bool}}. */
    private record Cased(Node value, boolean caseSensitive) {}

    private Optional<Cased> cased(Node v, String key, String field) {
        if (!(v instanceof MappingNode)) {
            return Optional.of(new Cased(v, false));
        }
        Map<String, Yaml.Entry> m =
                Yaml.mapping(v, "'" + key + "'", Yaml.keys(field, "case-sensitive"), problems)
                        .orElse(null);
        if (m == null) {
            return Optional.empty();
        }
        if (!m.containsKey(field)) {
            problems.error(Yaml.pos(v), "'" + key + "' needs a '" + field + "'");
            return Optional.empty();
        }
        boolean caseSensitive = false;
        if (m.containsKey("case-sensitive")) {
            Optional<Boolean> b =
                    Yaml.bool(m.get("case-sensitive").value(), "'case-sensitive'", problems);
            if (b.isEmpty()) {
                return Optional.empty();
            }
            caseSensitive = b.get();
        }
        return Optional.of(new Cased(m.get(field).value(), caseSensitive));
    }

    private Optional<Regex> compileRegex(Node patternNode, String key, boolean caseSensitive) {
        Optional<String> pattern =
                Yaml.string(patternNode, "the pattern of '" + key + "'", problems);
        if (pattern.isEmpty()) {
            return Optional.empty();
        }
        Regex r;
        try {
            r = Regex.compile(pattern.get(), caseSensitive);
        } catch (RegexSyntaxException e) {
            // re2j's index is always -1: report at the literal, with re2j's own description.
            problems.error(
                    Yaml.pos(patternNode),
                    "invalid regex in '"
                            + key
                            + "': "
                            + e.description()
                            + ": \""
                            + e.fragment()
                            + "\"");
            return Optional.empty();
        }
        if (r.matchesEverything()) {
            problems.warning(
                    Yaml.pos(patternNode),
                    "the pattern of '"
                            + key
                            + "' matches the empty string anywhere, so it matches everything");
        }
        return Optional.of(r);
    }

    private static Map<String, Object> regexCanon(Regex r) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("pattern", r.source());
        c.put("case-sensitive", r.caseSensitive());
        return c;
    }

    private Optional<Text> text(Node v, String key) {
        return cased(v, key, "text")
                .flatMap(
                        c ->
                                Yaml.string(c.value(), "the text of '" + key + "'", problems)
                                        .map(s -> new Text(s, c.caseSensitive())));
    }

    private static Map<String, Object> textCanon(Text t) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("text", t.text());
        c.put("case-sensitive", t.caseSensitive());
        return c;
    }

    private Optional<String> headerName(Node v, String what) {
        Optional<String> s = Yaml.string(v, what, problems);
        if (s.isEmpty()) {
            return Optional.empty();
        }
        String name = s.get().trim();
        if (!name.chars().allMatch(c -> c > 32 && c < 127 && c != ':')) {
            problems.error(Yaml.pos(v), "'" + s.get() + "' is not a valid header name");
            return Optional.empty();
        }
        return Optional.of(name.toLowerCase(Locale.ROOT));
    }

    private Optional<Cond> headerMatches(Node v) {
        Map<String, Yaml.Entry> m =
                Yaml.mapping(
                                v,
                                "'header-matches'",
                                Yaml.keys("header", "pattern", "case-sensitive"),
                                problems)
                        .orElse(null);
        if (m == null) {
            return Optional.empty();
        }
        if (!m.containsKey("header") || !m.containsKey("pattern")) {
            problems.error(Yaml.pos(v), "'header-matches' needs 'header' and 'pattern'");
            return Optional.empty();
        }
        Optional<String> name = headerName(m.get("header").value(), "'header'");
        boolean caseSensitive = false;
        if (m.containsKey("case-sensitive")) {
            Optional<Boolean> b =
                    Yaml.bool(m.get("case-sensitive").value(), "'case-sensitive'", problems);
            if (b.isEmpty()) {
                return Optional.empty();
            }
            caseSensitive = b.get();
        }
        Optional<Regex> r = compileRegex(m.get("pattern").value(), "header-matches", caseSensitive);
        if (name.isEmpty() || r.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("header", name.get());
        c.putAll(regexCanon(r.get()));
        return Optional.of(
                cond(new Condition.HeaderMatches(name.get(), r.get()), "header-matches", c));
    }

    private Optional<Cond> heloShape(Node v) {
        Optional<String> s = Yaml.string(v, "'helo-is'", problems);
        if (s.isEmpty()) {
            return Optional.empty();
        }
        Optional<HeloShape> shape = HeloShape.byKey(s.get());
        if (shape.isEmpty()) {
            List<String> names =
                    java.util.Arrays.stream(HeloShape.values()).map(HeloShape::key).toList();
            problems.error(
                    Yaml.pos(v),
                    "unknown HELO shape '"
                            + s.get()
                            + "'"
                            + Suggest.didYouMean(s.get(), names)
                            + ": one of "
                            + String.join(", ", names));
            return Optional.empty();
        }
        return Optional.of(cond(new Condition.HeloIs(shape.get()), "helo-is", shape.get().key()));
    }

    // ---- rate limits ---------------------------------------------------------------------------

    private record Limit(LimitSpec spec, Pos pos, Map<String, Object> canon) {}

    private Optional<Limit> rateLimit(Node node, Limits limits) {
        Optional<Map<String, Yaml.Entry>> mapping =
                Yaml.mapping(node, "a rate limit", RATE_LIMIT, problems);
        if (mapping.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Yaml.Entry> m = mapping.get();
        Pos pos = Yaml.pos(node);
        boolean ok = true;
        for (String required : List.of("id", "stage", "key", "capacity", "period")) {
            if (!m.containsKey(required)) {
                problems.error(pos, "a rate limit needs '" + required + "'");
                ok = false;
            }
        }
        if (!ok) {
            return Optional.empty();
        }
        String id = Yaml.string(m.get("id").value(), "a limit id", problems).orElse(null);
        if (id == null) {
            return Optional.empty();
        }
        if (!validName(id)) {
            problems.error(
                    m.get("id").pos(),
                    "limit id '" + id + "' must be lower-case letters, digits, '-', '_' or '.'");
            return Optional.empty();
        }
        ok &= claimId(id, m.get("id").pos());
        if (m.containsKey("description")) {
            Yaml.string(m.get("description").value(), "a description", problems);
        }

        Stage stage = null;
        Yaml.Entry stageEntry = m.get("stage");
        Optional<String> stageName = Yaml.string(stageEntry.value(), "'stage'", problems);
        if (stageName.isPresent()) {
            List<String> stages = List.of("connect", "mail", "rcpt", "data");
            if (stages.contains(stageName.get())) {
                stage = Stage.valueOf(stageName.get().toUpperCase(Locale.ROOT));
            } else if (stageName.get().equals("helo")) {
                problems.error(
                        stageEntry.pos(),
                        "limit '"
                                + id
                                + "': rate limits are counted at connect, mail, rcpt or data, not"
                                + " helo");
            } else {
                problems.error(
                        stageEntry.pos(),
                        "unknown stage '"
                                + stageName.get()
                                + "'"
                                + Suggest.didYouMean(stageName.get(), stages)
                                + " for limit '"
                                + id
                                + "'");
            }
        }

        LimitSpec.Key key = null;
        Yaml.Entry keyEntry = m.get("key");
        Optional<String> keyName = Yaml.string(keyEntry.value(), "'key'", problems);
        Map<String, LimitSpec.Key> keys = new LinkedHashMap<>();
        for (LimitSpec.Key k : LimitSpec.Key.values()) {
            keys.put(k.name().toLowerCase(Locale.ROOT).replace('_', '-'), k);
        }
        if (keyName.isPresent()) {
            key = keys.get(keyName.get());
            if (key == null) {
                problems.error(
                        keyEntry.pos(),
                        "unknown key '"
                                + keyName.get()
                                + "'"
                                + Suggest.didYouMean(keyName.get(), keys.keySet())
                                + " for limit '"
                                + id
                                + "': one of "
                                + String.join(", ", keys.keySet()));
            }
        }
        if (stage != null && key != null) {
            Stage needs =
                    switch (key) {
                        case SENDER, SENDER_DOMAIN -> Stage.MAIL;
                        case RECIPIENT, RECIPIENT_DOMAIN -> Stage.RCPT;
                        default -> Stage.CONNECT;
                    };
            if (needs.compareTo(stage) > 0) {
                problems.error(
                        keyEntry.pos(),
                        "limit '"
                                + id
                                + "' cannot be keyed by "
                                + keyName.get()
                                + " at stage "
                                + stage.key()
                                + ": "
                                + known(needs));
                ok = false;
            }
        }

        int ipv4 = 32;
        int ipv6 = 128;
        Map<String, Object> prefixCanon = null;
        if (m.containsKey("prefix")) {
            Yaml.Entry pe = m.get("prefix");
            if (key != null && key != LimitSpec.Key.CLIENT_SUBNET) {
                problems.error(
                        pe.keyPos(),
                        "'prefix' is only for key client-subnet, not " + keyName.orElse("?"));
                ok = false;
            } else {
                Map<String, Yaml.Entry> p =
                        Yaml.mapping(pe.value(), "'prefix'", Yaml.keys("ipv4", "ipv6"), problems)
                                .orElse(Map.of());
                ipv4 =
                        (int)
                                intValue(
                                        p.get("ipv4"),
                                        24,
                                        1,
                                        32,
                                        "IPv4 prefix length for limit '" + id + "'");
                ipv6 =
                        (int)
                                intValue(
                                        p.get("ipv6"),
                                        64,
                                        1,
                                        128,
                                        "IPv6 prefix length for limit '" + id + "'");
            }
        } else if (key == LimitSpec.Key.CLIENT_SUBNET) {
            ipv4 = 24;
            ipv6 = 64;
        }
        if (key == LimitSpec.Key.CLIENT_SUBNET) {
            prefixCanon = new LinkedHashMap<>();
            prefixCanon.put("ipv4", (long) ipv4);
            prefixCanon.put("ipv6", (long) ipv6);
        }

        LimitSpec.Cost cost = LimitSpec.Cost.COUNT;
        if (m.containsKey("cost")) {
            Yaml.Entry ce = m.get("cost");
            Optional<String> c = Yaml.string(ce.value(), "'cost'", problems);
            if (c.isPresent()) {
                switch (c.get()) {
                    case "count" -> cost = LimitSpec.Cost.COUNT;
                    case "bytes" -> {
                        cost = LimitSpec.Cost.BYTES;
                        if (stage != null && stage != Stage.DATA) {
                            problems.error(
                                    ce.pos(),
                                    "limit '"
                                            + id
                                            + "' counts bytes at stage "
                                            + stage.key()
                                            + ": the size is only known at data");
                            ok = false;
                        }
                    }
                    default -> {
                        problems.error(
                                ce.pos(),
                                "unknown cost '"
                                        + c.get()
                                        + "'"
                                        + Suggest.didYouMean(c.get(), List.of("count", "bytes"))
                                        + ": count or bytes");
                        ok = false;
                    }
                }
            }
        }

        long capacity = -1;
        Yaml.Entry capEntry = m.get("capacity");
        if (cost == LimitSpec.Cost.BYTES) {
            capacity = size(capEntry.value(), "'capacity'").orElse(-1L);
        } else {
            Optional<BigDecimal> n = Yaml.number(capEntry.value(), "'capacity'", problems);
            if (n.isPresent()) {
                if (n.get().stripTrailingZeros().scale() > 0) {
                    problems.error(
                            capEntry.pos(),
                            JsonWriter.number(n.get())
                                    + " is not a valid capacity for limit '"
                                    + id
                                    + "': capacity must be a whole number");
                } else {
                    capacity =
                            n.get().signum() <= 0
                                    ? 0
                                    : n.get().min(BigDecimal.valueOf(Long.MAX_VALUE)).longValue();
                    if (n.get().signum() <= 0) {
                        problems.error(
                                capEntry.pos(),
                                JsonWriter.number(n.get())
                                        + " is not a valid capacity for limit '"
                                        + id
                                        + "': capacity must be positive");
                    }
                }
            }
        }
        if (cost == LimitSpec.Cost.BYTES && capacity == 0) {
            problems.error(
                    capEntry.pos(),
                    "0 is not a valid capacity for limit '" + id + "': capacity must be positive");
        }
        if (cost == LimitSpec.Cost.BYTES && capacity > 0 && capacity < limits.maxMessageSize()) {
            problems.error(
                    capEntry.pos(),
                    Values.size(capacity)
                            + " is not a valid capacity for limit '"
                            + id
                            + "': it is below limits.message-size "
                            + Values.size(limits.maxMessageSize())
                            + ", so a message of the largest allowed size could never pass");
            ok = false;
        }
        if (capacity > 1_000_000_000_000L) {
            problems.error(
                    capEntry.pos(),
                    "capacity " + capacity + " for limit '" + id + "' is too large to count");
            ok = false;
        }
        ok &= capacity > 0;

        Duration period = null;
        Yaml.Entry periodEntry = m.get("period");
        Optional<Duration> d = duration(periodEntry.value(), "'period'");
        if (d.isPresent()) {
            if (d.get().compareTo(Duration.ofSeconds(1)) < 0
                    || d.get().compareTo(Duration.ofDays(30)) > 0) {
                problems.error(
                        periodEntry.pos(),
                        Yaml.scalar(periodEntry.value())
                                + " is not a valid period for limit '"
                                + id
                                + "': it must be between 1s and 30d");
            } else {
                period = d.get();
                if (capacity > 0
                        && cost == LimitSpec.Cost.COUNT
                        && period.toMillis() / capacity > Duration.ofDays(1).toMillis()) {
                    problems.warning(
                            periodEntry.pos(),
                            "limit '"
                                    + id
                                    + "' refills one unit every "
                                    + Values.human(Duration.ofMillis(period.toMillis() / capacity))
                                    + ": a client that hits it waits that long");
                }
            }
        }

        LimitSpec.Scope scope = LimitSpec.Scope.LOCAL;
        if (m.containsKey("scope")) {
            Yaml.Entry se = m.get("scope");
            Optional<String> s = Yaml.string(se.value(), "'scope'", problems);
            if (s.isPresent()) {
                switch (s.get()) {
                    case "local" -> scope = LimitSpec.Scope.LOCAL;
                    case "fleet" -> scope = LimitSpec.Scope.FLEET;
                    default -> {
                        problems.error(
                                se.pos(),
                                "unknown scope '"
                                        + s.get()
                                        + "'"
                                        + Suggest.didYouMean(s.get(), List.of("local", "fleet"))
                                        + ": local or fleet");
                        ok = false;
                    }
                }
            }
        }
        boolean shadow =
                m.containsKey("shadow")
                        && Yaml.bool(m.get("shadow").value(), "'shadow'", problems).orElse(false);

        if (!ok || stage == null || key == null || period == null) {
            return Optional.empty();
        }
        LimitSpec spec =
                new LimitSpec(id, stage, key, ipv4, ipv6, capacity, period, cost, scope, shadow);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", id);
        c.put("stage", stage.key());
        c.put("key", keyName.get());
        if (prefixCanon != null) {
            c.put("prefix", prefixCanon);
        }
        c.put("capacity", capacity);
        c.put("period", Values.duration(period));
        c.put("cost", cost.name().toLowerCase(Locale.ROOT));
        c.put("scope", scope.name().toLowerCase(Locale.ROOT));
        c.put("shadow", shadow);
        return Optional.of(new Limit(spec, pos, c));
    }

    private static boolean sameBuckets(LimitSpec a, LimitSpec b) {
        return a.stage() == b.stage()
                && a.key() == b.key()
                && a.cost() == b.cost()
                && a.scope() == b.scope()
                && a.shadow() == b.shadow()
                && a.period().equals(b.period())
                && (a.key() != LimitSpec.Key.CLIENT_SUBNET
                        || (a.ipv4Prefix() == b.ipv4Prefix() && a.ipv6Prefix() == b.ipv6Prefix()));
    }

    // ---- analysis ------------------------------------------------------------------------------

    private void analyseThresholds(
            Map<String, Yaml.Entry> top, RuleSet.Thresholds th, Map<Stage, List<Rule>> rules) {
        boolean anyThreshold =
                th.tag().isPresent() || th.quarantine().isPresent() || th.reject().isPresent();
        if (anyThreshold && scoreUses.isEmpty()) {
            problems.warning(
                    top.get("thresholds").pos(), "thresholds are set but no rule has a score");
        }
        if (!anyThreshold && !scoreUses.isEmpty()) {
            problems.warning(
                    scoreUses.get(0), "rules score but no threshold is set: scores decide nothing");
        }
        if (anyThreshold && !scoreUses.isEmpty()) {
            double max = 0;
            for (List<Rule> rs : rules.values()) {
                for (Rule r : rs) {
                    if (!r.shadow() && r.action() instanceof Action.Score s && s.points() > 0) {
                        max += s.points();
                    }
                }
            }
            double lowest = th.tag().orElse(th.quarantine().orElse(th.reject().orElse(0)));
            if (max < lowest) {
                problems.warning(
                        top.get("thresholds").pos(),
                        "the positive scores of all rules add up to "
                                + dev.bulwark.check.rules.RuleEvaluation.formatScore(max)
                                + ", below the lowest threshold: no threshold can ever be reached");
            }
        }
    }

    /** Rules after one that always ends evaluation can never run. */
    private void analyseReachability(
            Map<Stage, List<Rule>> rules, Map<Stage, List<Pos>> positions) {
        Rule blocker = null;
        Pos blockerPos = null;
        for (Stage s : Stage.values()) {
            List<Rule> rs = rules.get(s);
            for (int i = 0; i < rs.size(); i++) {
                Rule r = rs.get(i);
                Pos p = positions.get(s).get(i);
                if (blocker != null) {
                    problems.error(
                            p,
                            "rule '"
                                    + r.id()
                                    + "' can never run: rule '"
                                    + blocker.id()
                                    + "' ("
                                    + blockerPos.relativeTo(p)
                                    + ") always ends evaluation before it");
                    continue;
                }
                if (!r.shadow() && r.when() instanceof Condition.Always && r.action().terminal()) {
                    blocker = r;
                    blockerPos = p;
                }
            }
        }
    }
}
