package dev.bulwark.cli;

import dev.bulwark.check.Stage;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.ReversePath;
import dev.bulwark.flow.Gate;
import dev.bulwark.flow.Policy;
import dev.bulwark.flow.Trial;
import dev.bulwark.policy.Cases;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Diagnostic;
import dev.bulwark.policy.Envelope;
import dev.bulwark.policy.PolicyException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code policy compile DIR} prints diagnostics and the digest (and with {@code --embed} writes the
 * canonical form into a class-path directory: the build's step that bakes the policy into the
 * runtime); {@code policy test DIR} runs the gate; {@code policy measure} reports catch and
 * false-positive rates over corpus folders.
 */
@Command(
        name = "policy",
        header = "Compiles, tests and measures a policy.",
        description = "The policy: compile it, run its tests, measure it on corpus folders.",
        subcommands = {
            PolicyCommand.Compile.class,
            PolicyCommand.Test.class,
            PolicyCommand.Measure.class,
            PolicyDiffCommand.class
        })
final class PolicyCommand {
    private PolicyCommand() {}

    /** What every policy command shares: the directory, and how a broken policy is reported. */
    abstract static class OnPolicy implements Cli.Action {
        @Parameters(
                index = "0",
                paramLabel = "DIR",
                description = "the policy directory (inbound.yaml, lists, tests/)")
        Path dir;

        @Override
        public final int run(PrintStream out, PrintStream err) {
            try {
                return run(dir, out, err);
            } catch (PolicyException e) {
                err.print(e.report());
                e.diagnostics().forEach(err::println);
                err.println(e.errors().size() + " error(s)");
                return 1;
            } catch (NoSuchFileException e) {
                err.println(e.getFile() + ": no such file");
                return 1;
            } catch (IOException e) {
                err.println("cannot read the policy: " + e);
                return 1;
            }
        }

        abstract int run(Path dir, PrintStream out, PrintStream err)
                throws PolicyException, IOException;
    }

    @Command(
            name = "compile",
            header = "Compiles a policy and prints its digest.",
            description = {
                "Compiles a policy: prints every diagnostic (file:line:column: error: ...) and the"
                        + " digest."
            },
            exitCodeList = {
                "0:compiled (warnings are printed)",
                "1:the policy has errors, or cannot be read",
                "2:usage error"
            })
    static final class Compile extends OnPolicy {
        @Option(
                names = "--canonical",
                description = "print the canonical form the digest is taken over")
        private boolean canonical;

        @Option(
                names = "--embed",
                paramLabel = "CLASSES_DIR",
                description =
                        "write the compiled policy into this class-path directory (the build's step"
                                + " that bakes the policy into the runtime)")
        private Path embed;

        @Override
        int run(Path dir, PrintStream out, PrintStream err) throws PolicyException, IOException {
            return compile(dir, canonical, embed, out, err);
        }
    }

    @Command(
            name = "test",
            header = "Runs the policy's tests: the gate every build passes.",
            description =
                    "Runs the policy's tests (the gate): every case in tests/ must get its expected"
                            + " verdict; prints the mismatches with each rule's description.",
            exitCodeList = {
                "0:every case passed",
                "1:a case failed, or the policy has errors",
                "2:usage error"
            })
    static final class Test extends OnPolicy {
        @Option(names = "--all", description = "print every case, not only the failures")
        private boolean all;

        @Override
        int run(Path dir, PrintStream out, PrintStream err) throws PolicyException, IOException {
            return test(dir, all, out, err);
        }
    }

    @Command(
            name = "measure",
            header = "Measures a policy on corpus folders: catch and false-positive rates.",
            description =
                    "Runs every message of corpus folders through the policy and prints what it did"
                            + " per folder, the catch and false-positive rates, the confusion"
                            + " matrix and the rules that fired most on ham.",
            exitCodeList = {
                "0:measured",
                "1:the policy has errors, or a folder cannot be read",
                "2:usage error"
            })
    static final class Measure extends OnPolicy {
        @Spec private CommandSpec spec;

        @Option(
                names = "--ham",
                arity = "1..*",
                paramLabel = "FOLDER",
                description = "folders of ham messages")
        private List<Path> ham = new ArrayList<>();

        @Option(
                names = "--spam",
                arity = "1..*",
                paramLabel = "FOLDER",
                description = "folders of spam messages")
        private List<Path> spam = new ArrayList<>();

        @Option(names = "--verbose", description = "one line per message")
        private boolean verbose;

        @Option(
                names = "--rounds",
                paramLabel = "N",
                description =
                        "also measure the evaluation speed, best of N rounds (1 to 9999; default:"
                                + " ${DEFAULT-VALUE}, no speed)")
        private int rounds = 1;

        @Override
        int run(Path dir, PrintStream out, PrintStream err) throws PolicyException, IOException {
            if (rounds < 1 || rounds > 9999) {
                throw new ParameterException(
                        spec.commandLine(), "--rounds needs a number from 1 to 9999");
            }
            if (ham.isEmpty() && spam.isEmpty()) {
                throw new ParameterException(
                        spec.commandLine(), "name folders after --ham or --spam");
            }
            return measure(dir, ham, spam, verbose, rounds, out, err);
        }
    }

    static CompiledPolicy load(Path dir, PrintStream err) throws PolicyException, IOException {
        CompiledPolicy p = CompiledPolicy.compile(dir);
        for (Diagnostic d : p.warnings()) {
            err.println(d);
        }
        return p;
    }

    private static int compile(
            Path dir, boolean canonical, Path embed, PrintStream out, PrintStream err)
            throws PolicyException, IOException {
        CompiledPolicy p = load(dir, err);
        p.classifierReport().ifPresent(err::print);
        if (canonical) {
            out.print(p.canonicalForm());
        }
        if (embed != null) {
            p.writeEmbedded(embed);
            err.println(
                    "embedded policy "
                            + p.digest()
                            + " in "
                            + embed.resolve(CompiledPolicy.EMBEDDED_DIR));
        }
        out.println("digest " + p.digest());
        return 0;
    }

    private static int test(Path dir, boolean all, PrintStream out, PrintStream err)
            throws PolicyException, IOException {
        CompiledPolicy p = load(dir, err);
        List<Cases.Case> cases = Cases.load(dir, p);
        Gate.Report report = Gate.run(p, cases);
        if (all || report.failed() > 0) {
            out.print(report.table(all));
        }
        for (String note : report.coverage()) {
            out.println("note: " + note);
        }
        out.println("policy " + p.digest());
        out.println("policy-tests: " + report.passed() + " passed, " + report.failed() + " failed");
        return report.failed() == 0 ? 0 : 1;
    }

    /** What the policy did with one folder's messages. */
    private static final class FolderCounts {
        final String kind;
        final Path folder;
        final Map<String, Integer> verdicts = new LinkedHashMap<>();
        int total;
        int classifierAbove90;

        FolderCounts(String kind, Path folder) {
            this.kind = kind;
            this.folder = folder;
            for (String v : VERDICTS) {
                verdicts.put(v, 0);
            }
        }

        int blocked() {
            return verdicts.get("reject") + verdicts.get("quarantine") + verdicts.get("discard");
        }

        int flagged() {
            return blocked() + verdicts.get("tag");
        }
    }

    private static final List<String> VERDICTS =
            List.of("deliver", "accept", "tag", "quarantine", "discard", "reject", "defer");

    /**
     * Runs every message of the folders through the transaction flow with a neutral envelope (a
     * client in TEST-NET-2 greeting with a proper name, the Return-Path as sender, one relay-domain
     * recipient) and prints, per folder, what the policy did, the flagged and blocked rates, the
     * confusion matrix over all folders (flagged: tag or stronger), and the rules that fired most
     * on ham.
     */
    private static int measure(
            Path dir,
            List<Path> ham,
            List<Path> spam,
            boolean verbose,
            int rounds,
            PrintStream out,
            PrintStream err)
            throws PolicyException, IOException {
        CompiledPolicy p = load(dir, err);
        Policy policy = Policy.of(p);
        String recipient =
                "user@"
                        + p.relayDomainEntries().stream()
                                .filter(d -> !d.startsWith("."))
                                .findFirst()
                                .orElse("example.com");
        List<FolderCounts> folders = new ArrayList<>();
        Map<String, Integer> hamRules = new java.util.TreeMap<>();
        List<byte[]> all = new ArrayList<>();
        List<Envelope> envelopes = new ArrayList<>();
        for (String kind : List.of("ham", "spam")) {
            for (Path folder : kind.equals("ham") ? ham : spam) {
                FolderCounts c = new FolderCounts(kind, folder);
                folders.add(c);
                for (Path f : messages(folder)) {
                    byte[] message = Cases.asReceived(Files.readAllBytes(f));
                    Envelope env =
                            new Envelope(
                                    InetAddress.getByName("198.51.100.25"),
                                    "mail.example.org",
                                    returnPath(message),
                                    List.of(recipient));
                    Trial o = Trial.run(policy, env, message);
                    all.add(message);
                    envelopes.add(env);
                    c.verdicts.merge(o.verdictName(), 1, Integer::sum);
                    c.total++;
                    java.util.OptionalDouble probability = classifier(o);
                    if (probability.isPresent() && probability.getAsDouble() > 0.9) {
                        c.classifierAbove90++;
                    }
                    if (kind.equals("ham")) {
                        for (String rule : new java.util.TreeSet<>(o.fired())) {
                            hamRules.merge(rule, 1, Integer::sum);
                        }
                    }
                    if (verbose) {
                        out.println(
                                kind
                                        + " "
                                        + o.verdictName()
                                        + " "
                                        + f.getFileName()
                                        + " score "
                                        + o.score()
                                        + (probability.isPresent()
                                                ? " classifier "
                                                        + dev.bulwark.classifier.Score.format(
                                                                probability.getAsDouble())
                                                : "")
                                        + " "
                                        + o.fired());
                    }
                }
            }
        }
        report(folders, hamRules, p.classifier().isPresent(), out);
        if (rounds > 1) {
            speed(policy, all, envelopes, rounds, out);
        }
        out.println("policy " + p.digest());
        return 0;
    }

    /** The classifier's probability in a trial's DATA decision, if the policy has one. */
    private static java.util.OptionalDouble classifier(Trial t) {
        for (Trial.Step s : t.steps()) {
            if (s.decision().classifier().isPresent()) {
                return s.decision().classifier();
            }
        }
        return java.util.OptionalDouble.empty();
    }

    private static void report(
            List<FolderCounts> folders,
            Map<String, Integer> hamRules,
            boolean classifier,
            PrintStream out) {
        out.printf(
                "%-28s %-4s %6s %8s %7s %5s %11s %8s %7s %6s %16s %16s%s%n",
                "folder",
                "kind",
                "total",
                "deliver",
                "accept",
                "tag",
                "quarantine",
                "discard",
                "reject",
                "defer",
                "flagged",
                "blocked",
                classifier ? "  classifier>0.9" : "");
        int[] spam = new int[2];
        int[] ham = new int[2];
        for (FolderCounts c : folders) {
            Map<String, Integer> v = c.verdicts;
            String name = c.folder.toString();
            out.printf(
                    "%-28s %-4s %6d %8d %7d %5d %11d %8d %7d %6d %16s %16s%s%n",
                    name.length() > 28 ? "..." + name.substring(name.length() - 25) : name,
                    c.kind,
                    c.total,
                    v.get("deliver"),
                    v.get("accept"),
                    v.get("tag"),
                    v.get("quarantine"),
                    v.get("discard"),
                    v.get("reject"),
                    v.get("defer"),
                    pct(c.flagged(), c.total),
                    pct(c.blocked(), c.total),
                    classifier ? "  " + pct(c.classifierAbove90, c.total) : "");
            int[] into = c.kind.equals("ham") ? ham : spam;
            into[0] += c.flagged();
            into[1] += c.total - c.flagged();
        }
        out.println(
                "confusion matrix (all folders; flagged = tag, quarantine, discard or reject):");
        out.printf("  %-6s %8s %8s%n", "", "flagged", "passed");
        out.printf("  %-6s %8d %8d%n", "spam", spam[0], spam[1]);
        out.printf("  %-6s %8d %8d%n", "ham", ham[0], ham[1]);
        int spamTotal = spam[0] + spam[1];
        int hamTotal = ham[0] + ham[1];
        out.printf(
                "catch rate: %s flagged; false positives: %s flagged%n",
                pct(spam[0], spamTotal), pct(ham[0], hamTotal));
        if (hamTotal > 0) {
            out.println("rules that fired most on ham:");
            hamRules.entrySet().stream()
                    .sorted(
                            Map.Entry.<String, Integer>comparingByValue()
                                    .reversed()
                                    .thenComparing(Map.Entry.comparingByKey()))
                    .limit(10)
                    .forEach(
                            e ->
                                    out.printf(
                                            "  %-32s %s%n",
                                            e.getKey(), pct(e.getValue(), hamTotal)));
        }
    }

    /**
     * Evaluation speed on this thread, in messages per CPU-second (the CPU time of this thread, so
     * a busy machine slows the wall clock but not the figure), best of the rounds after the first.
     */
    private static void speed(
            Policy p,
            List<byte[]> messages,
            List<Envelope> envelopes,
            int rounds,
            PrintStream out) {
        java.lang.management.ThreadMXBean mx =
                java.lang.management.ManagementFactory.getThreadMXBean();
        double bestCpu = 0;
        double bestWall = 0;
        for (int r = 0; r < rounds; r++) {
            long cpu = mx.getCurrentThreadCpuTime();
            long wall = System.nanoTime();
            for (int i = 0; i < messages.size(); i++) {
                Trial.run(p, envelopes.get(i), messages.get(i));
            }
            double cpuRate = messages.size() / ((mx.getCurrentThreadCpuTime() - cpu) / 1e9);
            double wallRate = messages.size() / ((System.nanoTime() - wall) / 1e9);
            bestCpu = Math.max(bestCpu, cpuRate);
            bestWall = Math.max(bestWall, wallRate);
        }
        out.printf(
                "speed: %.0f messages per CPU-second on one thread (%.0f per second wall clock),"
                        + " best of %d rounds%n",
                bestCpu, bestWall, rounds);
    }

    private static String pct(int n, int total) {
        return total == 0
                ? "n/a"
                : String.format(
                        java.util.Locale.ROOT, "%.1f%% (%d/%d)", 100.0 * n / total, n, total);
    }

    private static List<Path> messages(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(
                            f ->
                                    !f.getFileName().toString().endsWith(".json")
                                            && Files.isRegularFile(f))
                    .sorted()
                    .toList();
        }
    }

    /** The Return-Path header's address, which is what the sending MTA gave as MAIL FROM. */
    static ReversePath returnPath(byte[] message) {
        String head =
                new String(
                        message,
                        0,
                        Math.min(message.length, 8192),
                        java.nio.charset.StandardCharsets.ISO_8859_1);
        for (String line : head.split("\r\n")) {
            if (line.isEmpty()) {
                break;
            }
            if (line.regionMatches(true, 0, "Return-Path:", 0, 12)) {
                String v = line.substring(12).trim();
                try {
                    String path = v.startsWith("<") ? v : "<" + v + ">";
                    return dev.bulwark.envelope.Paths.parseReversePath(path);
                } catch (RuntimeException e) {
                    break;
                }
            }
        }
        return Mailbox.of("unknown@example.org");
    }

    static String stage(Stage s) {
        return s.key();
    }
}
