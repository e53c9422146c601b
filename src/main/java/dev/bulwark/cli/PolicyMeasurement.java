package dev.bulwark.cli;

import dev.bulwark.flow.Policy;
import dev.bulwark.flow.Trial;
import dev.bulwark.policy.Cases;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Envelope;
import dev.bulwark.policy.PolicyException;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code policy measure}: runs a policy over corpus folders and reports, per folder, the rates, the
 * confusion matrix and the rules that fired most on ham (and with {@code --rounds}, the speed).
 */
final class PolicyMeasurement {
    private PolicyMeasurement() {}

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
    static int measure(
            Path dir,
            List<Path> ham,
            List<Path> spam,
            boolean verbose,
            int rounds,
            PrintStream out,
            PrintStream err)
            throws PolicyException, IOException {
        CompiledPolicy p = PolicyCommand.load(dir, err);
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
                                    PolicyCommand.returnPath(message),
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
}
