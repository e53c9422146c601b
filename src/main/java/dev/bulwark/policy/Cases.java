package dev.bulwark.policy;

import dev.bulwark.check.ReservedIds;
import dev.bulwark.check.Stage;
import dev.bulwark.check.rules.Cidrs;
import dev.bulwark.check.rules.Rule;
import dev.bulwark.dns.RecordedAnswersException;
import dev.bulwark.dns.RecordedResolver;
import dev.bulwark.envelope.PathSyntaxException;
import dev.bulwark.envelope.Paths;
import dev.bulwark.envelope.ReversePath;

import org.snakeyaml.engine.v2.nodes.Node;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The test cases of a policy: every case in {@code DIR/tests/*.yaml} (a message, its envelope, the
 * verdict it must get and optionally the rules that must or must not fire), read with the same
 * diagnostics as the policy itself. The ruleset gate ({@code dev.bulwark.flow.Gate}) runs them.
 */
public final class Cases {
    private Cases() {}

    static final Set<String> FILE_KEYS = Yaml.keys("defaults", "cases");
    static final Set<String> ENVELOPE_KEYS = Yaml.keys("client", "helo", "sender", "recipients");
    static final Set<String> CASE_KEYS =
            Yaml.keys(
                    "name",
                    "description",
                    "message",
                    "dns",
                    "client",
                    "helo",
                    "sender",
                    "recipients",
                    "expect",
                    "stage",
                    "fires",
                    "not-fires");

    private static final java.util.regex.Pattern DIAGNOSTIC =
            java.util.regex.Pattern.compile("(.*):(\\d+):(\\d+): error: (.*)");

    /** The verdicts a case may expect. */
    public static final Set<String> VERDICTS =
            Yaml.keys("deliver", "accept", "reject", "defer", "discard", "quarantine", "tag");

    /** Used when a case names no message: enough for cases decided before DATA. */
    static final byte[] MINIMAL_MESSAGE =
            ("From: sender@example.org\r\n"
                            + "To: postmaster@example.com\r\n"
                            + "Subject: test\r\n"
                            + "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
                            + "Message-ID: <test@example.org>\r\n\r\n"
                            + "A test message.\r\n")
                    .getBytes(StandardCharsets.US_ASCII);

    /**
     * One test case.
     *
     * @param name unique among the policy's cases
     * @param file the test file it is in
     * @param line where it starts
     * @param envelope who connects, the greeting, sender and recipients
     * @param message what the client sends after DATA ({@link #asReceived} form)
     * @param expect the verdict it must get: one of {@link #VERDICTS}
     * @param stage where that verdict must be given, if the case says
     * @param fires rules (or reserved ids) that must fire
     * @param notFires rules that must not fire
     * @param dns the DNS answers the case's authentication checks get, recorded in a file beside
     *     the case ({@code dns: FILE}, the format of {@link RecordedResolver}); without one every
     *     question is NXDOMAIN. The gate never asks the network.
     */
    public record Case(
            String name,
            String file,
            int line,
            Envelope envelope,
            byte[] message,
            String expect,
            Optional<Stage> stage,
            List<String> fires,
            List<String> notFires,
            Optional<Answers> dns) {

        /** A fresh resolver over the case's recorded answers (it notes unrecorded questions). */
        public RecordedResolver resolver() {
            if (dns.isEmpty()) {
                return RecordedResolver.none();
            }
            try {
                return RecordedResolver.parse(dns.get().file(), dns.get().text());
            } catch (RecordedAnswersException e) {
                throw new IllegalStateException("checked when the case was loaded", e);
            }
        }
    }

    /** A file of recorded DNS answers: its name as shown and its text (parsed when loaded). */
    public record Answers(String file, String text) {}

    /** Loads the cases of {@code policyDir/tests}, reporting every problem in them at once. */
    public static List<Case> load(Path policyDir, CompiledPolicy policy)
            throws PolicyException, IOException {
        Path testsDir = policyDir.resolve("tests");
        Problems problems = new Problems();
        List<Case> cases = new ArrayList<>();
        Set<String> ruleIds = new LinkedHashSet<>();
        for (Stage s : Stage.values()) {
            for (Rule r : policy.rules().rules(s)) {
                ruleIds.add(r.id());
            }
        }
        if (!Files.isDirectory(testsDir)) {
            problems.error(
                    new Pos(testsDir.toString(), 1, 1),
                    "no tests directory: a policy must have test cases");
            throw new PolicyException(problems.sorted());
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(testsDir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().toList();
        }
        Map<String, Pos> names = new LinkedHashMap<>();
        for (Path f : files) {
            String file = f.toString();
            Optional<Node> root =
                    Yaml.load(file, Files.readString(f, StandardCharsets.UTF_8), problems);
            if (root.isEmpty()) {
                continue;
            }
            Map<String, Yaml.Entry> top =
                    Yaml.mapping(root.get(), "a test file", FILE_KEYS, problems).orElse(Map.of());
            Map<String, Yaml.Entry> defaults =
                    top.containsKey("defaults")
                            ? Yaml.mapping(
                                            top.get("defaults").value(),
                                            "'defaults'",
                                            ENVELOPE_KEYS,
                                            problems)
                                    .orElse(Map.of())
                            : Map.of();
            if (!top.containsKey("cases")) {
                problems.error(Yaml.pos(root.get()), "a test file needs 'cases'");
                continue;
            }
            for (Node n :
                    Yaml.sequence(top.get("cases").value(), "'cases'", problems)
                            .orElse(List.of())) {
                testCase(n, defaults, testsDir, ruleIds, names, problems).ifPresent(cases::add);
            }
        }
        if (files.isEmpty()) {
            problems.error(
                    new Pos(testsDir.toString(), 1, 1),
                    "no test files (*.yaml) in the tests directory");
        }
        if (problems.hasErrors()) {
            throw new PolicyException(problems.sorted());
        }
        return cases;
    }

    private static Optional<Case> testCase(
            Node n,
            Map<String, Yaml.Entry> defaults,
            Path testsDir,
            Set<String> ruleIds,
            Map<String, Pos> names,
            Problems problems)
            throws IOException {
        Map<String, Yaml.Entry> m =
                Yaml.mapping(n, "a test case", CASE_KEYS, problems).orElse(null);
        if (m == null) {
            return Optional.empty();
        }
        Pos pos = Yaml.pos(n);
        int before = problems.errorCount();
        String name =
                m.containsKey("name")
                        ? Yaml.string(m.get("name").value(), "'name'", problems).orElse("?")
                        : null;
        if (name == null) {
            problems.error(pos, "a test case needs a 'name'");
            name = "?";
        } else {
            Pos first = names.putIfAbsent(name, m.get("name").pos());
            if (first != null) {
                problems.error(
                        m.get("name").pos(),
                        "duplicate case name '"
                                + name
                                + "' (first at "
                                + first.relativeTo(m.get("name").pos())
                                + ")");
            }
        }
        Yaml.Entry clientE = pick(m, defaults, "client");
        Yaml.Entry heloE = pick(m, defaults, "helo");
        Yaml.Entry senderE = pick(m, defaults, "sender");
        Yaml.Entry rcptE = pick(m, defaults, "recipients");
        InetAddress client = null;
        String helo = null;
        ReversePath sender = null;
        List<String> recipients = new ArrayList<>();
        for (String k : List.of("client", "helo", "sender", "recipients")) {
            if (pick(m, defaults, k) == null) {
                problems.error(
                        pos, "case '" + name + "' has no '" + k + "' (and no default for it)");
            }
        }
        if (clientE != null) {
            Optional<String> s = Yaml.string(clientE.value(), "'client'", problems);
            if (s.isPresent()) {
                byte[] b = Cidrs.literal(s.get());
                if (b == null) {
                    problems.error(clientE.pos(), "'" + s.get() + "' is not an IP address");
                } else {
                    try {
                        client = InetAddress.getByAddress(b);
                    } catch (UnknownHostException e) {
                        problems.error(clientE.pos(), "'" + s.get() + "' is not an IP address");
                    }
                }
            }
        }
        if (heloE != null) {
            helo = Yaml.string(heloE.value(), "'helo'", problems).orElse(null);
        }
        if (senderE != null) {
            Optional<String> s = Yaml.string(senderE.value(), "'sender'", problems);
            if (s.isPresent()) {
                try {
                    String text = s.get().trim();
                    sender = Paths.parseReversePath(text.startsWith("<") ? text : "<" + text + ">");
                } catch (PathSyntaxException e) {
                    problems.error(
                            senderE.pos(), "'" + s.get() + "' is not a sender: " + e.getMessage());
                }
            }
        }
        if (rcptE != null) {
            for (Node r :
                    Yaml.sequence(rcptE.value(), "'recipients'", problems).orElse(List.of())) {
                Yaml.string(r, "a recipient", problems).ifPresent(recipients::add);
            }
        }
        byte[] message = MINIMAL_MESSAGE;
        if (m.containsKey("message")) {
            Yaml.Entry me = m.get("message");
            Optional<String> s = Yaml.string(me.value(), "'message'", problems);
            if (s.isPresent()) {
                Path p = testsDir.resolve(s.get()).normalize();
                if (!Files.isRegularFile(p)) {
                    problems.error(me.pos(), "no message file '" + s.get() + "' in " + testsDir);
                } else {
                    message = asReceived(Files.readAllBytes(p));
                }
            }
        }
        Optional<Answers> dns = Optional.empty();
        if (m.containsKey("dns")) {
            Yaml.Entry de = m.get("dns");
            Optional<String> s = Yaml.string(de.value(), "'dns'", problems);
            if (s.isPresent()) {
                Path p = testsDir.resolve(s.get()).normalize();
                if (!Files.isRegularFile(p)) {
                    problems.error(
                            de.pos(), "no DNS answers file '" + s.get() + "' in " + testsDir);
                } else {
                    String text = Files.readString(p, StandardCharsets.UTF_8);
                    String shown =
                            Path.of(pos.file()).resolveSibling(s.get()).normalize().toString();
                    try {
                        RecordedResolver.parse(shown, text);
                        dns = Optional.of(new Answers(shown, text));
                    } catch (RecordedAnswersException e) {
                        // Each problem at its own line of the answers file, as the parser names it.
                        for (String d : e.diagnostics()) {
                            java.util.regex.Matcher at = DIAGNOSTIC.matcher(d);
                            if (at.matches()) {
                                problems.error(
                                        new Pos(
                                                at.group(1),
                                                Integer.parseInt(at.group(2)),
                                                Integer.parseInt(at.group(3))),
                                        at.group(4));
                            } else {
                                problems.error(de.pos(), d);
                            }
                        }
                    }
                }
            }
        }
        String expect = null;
        if (!m.containsKey("expect")) {
            problems.error(
                    pos,
                    "case '" + name + "' needs 'expect': one of " + String.join(", ", VERDICTS));
        } else {
            Yaml.Entry ee = m.get("expect");
            expect = Yaml.string(ee.value(), "'expect'", problems).orElse(null);
            if (expect != null && !VERDICTS.contains(expect)) {
                problems.error(
                        ee.pos(),
                        "unknown verdict '"
                                + expect
                                + "'"
                                + Suggest.didYouMean(expect, VERDICTS)
                                + ": one of "
                                + String.join(", ", VERDICTS));
            }
        }
        Optional<Stage> stage = Optional.empty();
        if (m.containsKey("stage")) {
            Yaml.Entry se = m.get("stage");
            Optional<String> s = Yaml.string(se.value(), "'stage'", problems);
            List<String> stages = List.of("connect", "helo", "mail", "rcpt", "data");
            if (s.isPresent() && !stages.contains(s.get())) {
                problems.error(
                        se.pos(),
                        "unknown stage '" + s.get() + "'" + Suggest.didYouMean(s.get(), stages));
            } else if (s.isPresent()) {
                stage = Optional.of(Stage.valueOf(s.get().toUpperCase(Locale.ROOT)));
            }
        }
        List<String> fires = ids(m.get("fires"), ruleIds, problems);
        List<String> notFires = ids(m.get("not-fires"), ruleIds, problems);
        if (problems.errorCount() > before
                || client == null
                || helo == null
                || sender == null
                || expect == null
                || recipients.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(
                new Case(
                        name,
                        pos.file(),
                        pos.line(),
                        new Envelope(client, helo, sender, recipients),
                        message,
                        expect,
                        stage,
                        fires,
                        notFires,
                        dns));
    }

    private static Yaml.Entry pick(
            Map<String, Yaml.Entry> m, Map<String, Yaml.Entry> defaults, String key) {
        return m.containsKey(key) ? m.get(key) : defaults.get(key);
    }

    private static List<String> ids(Yaml.Entry e, Set<String> ruleIds, Problems problems) {
        if (e == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Node n : Yaml.sequence(e.value(), "'" + e.key() + "'", problems).orElse(List.of())) {
            Optional<String> id = Yaml.string(n, "a rule id", problems);
            if (id.isEmpty()) {
                continue;
            }
            boolean known = ruleIds.contains(id.get()) || ReservedIds.isReserved(id.get());
            if (!known) {
                problems.error(
                        Yaml.pos(n),
                        "unknown rule '" + id.get() + "'" + Suggest.didYouMean(id.get(), ruleIds));
                continue;
            }
            out.add(id.get());
        }
        return out;
    }

    /**
     * A message file as a client would send it: an mbox {@code From } line dropped, bare LF turned
     * into CRLF.
     */
    public static byte[] asReceived(byte[] file) {
        int start = 0;
        if (file.length > 5
                && new String(file, 0, 5, StandardCharsets.ISO_8859_1).equals("From ")) {
            while (start < file.length && file[start] != '\n') {
                start++;
            }
            start = Math.min(file.length, start + 1);
        }
        java.io.ByteArrayOutputStream out =
                new java.io.ByteArrayOutputStream(file.length + file.length / 40);
        for (int i = start; i < file.length; i++) {
            byte b = file[i];
            if (b == '\n' && (i == start || file[i - 1] != '\r')) {
                out.write('\r');
            }
            out.write(b);
        }
        return out.toByteArray();
    }
}
