package dev.bulwark.cli;

import dev.bulwark.check.Hit;
import dev.bulwark.check.Verdict;
import dev.bulwark.check.rules.RuleEvaluation;
import dev.bulwark.envelope.Paths;
import dev.bulwark.envelope.ReversePath;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Envelope;
import dev.bulwark.policy.PolicyException;
import dev.bulwark.policy.Simulation;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code check}: one message through a policy (a directory, or the one compiled into this runtime),
 * printing each stage's decision, the score, and every rule that fired with what it matched.
 */
final class CheckCommand {
    private CheckCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path policyDir = null;
        String client = "198.51.100.25";
        String helo = "mail.example.org";
        String from = "sender@example.org";
        List<String> to = new ArrayList<>();
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("--") && i + 1 >= args.length) {
                err.println(a + " needs a value");
                return 2;
            }
            switch (a) {
                case "--policy" -> policyDir = Path.of(args[++i]);
                case "--client" -> client = args[++i];
                case "--helo" -> helo = args[++i];
                case "--from" -> from = args[++i];
                case "--to" -> to.add(args[++i]);
                default -> {
                    if (a.startsWith("--") || file != null) {
                        err.println("unexpected argument " + a);
                        return 2;
                    }
                    file = Path.of(a);
                }
            }
        }
        if (file == null) {
            err.println(
                    "usage: bulwark check [--policy DIR] [--client IP] [--helo NAME] [--from ADDR]"
                            + " [--to ADDR]... FILE");
            return 2;
        }
        try {
            CompiledPolicy policy =
                    policyDir == null
                            ? CompiledPolicy.embedded()
                            : PolicyCommand.load(policyDir, err);
            if (to.isEmpty()) {
                to.add(
                        "user@"
                                + policy.relayDomainEntries().stream()
                                        .filter(d -> !d.startsWith("."))
                                        .findFirst()
                                        .orElse("example.com"));
            }
            InetAddress address = InetAddress.ofLiteral(client);
            ReversePath sender =
                    Paths.parseReversePath(
                            from.equals("<>") || from.startsWith("<") ? from : "<" + from + ">");
            byte[] message =
                    Simulation.asReceived(
                            file.equals(Path.of("-"))
                                    ? System.in.readAllBytes()
                                    : Files.readAllBytes(file));
            Simulation.Outcome o =
                    Simulation.run(policy, new Envelope(address, helo, sender, to), message);
            out.println(
                    "policy   "
                            + (policyDir == null ? "embedded" : policyDir.toString())
                            + " "
                            + policy.digest());
            for (Simulation.Step s : o.steps()) {
                out.printf(
                        "%-8s %-32s %-10s score %s%n",
                        s.stage().key(),
                        clip(s.argument()),
                        Simulation.name(s.decision().verdict()),
                        RuleEvaluation.formatScore(s.decision().score()));
                for (Hit h : s.decision().hits()) {
                    out.printf(
                            "         %s %s%s: %s%n",
                            h.shadow() ? "shadow" : "fired ",
                            h.ruleId(),
                            h.score() != 0
                                    ? " ("
                                            + (h.score() > 0 ? "+" : "")
                                            + RuleEvaluation.formatScore(h.score())
                                            + ")"
                                    : "",
                            h.detail());
                }
            }
            out.println(
                    "verdict  "
                            + describe(o.verdict())
                            + " at "
                            + o.stage().key()
                            + ", score "
                            + RuleEvaluation.formatScore(o.score()));
            return 0;
        } catch (PolicyException e) {
            e.diagnostics().forEach(err::println);
            return 1;
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        } catch (IllegalStateException e) {
            err.println(e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("cannot read: " + e.getMessage());
            return 1;
        }
    }

    private static String clip(String s) {
        return s.length() > 32 ? s.substring(0, 29) + "..." : s;
    }

    private static String describe(Verdict v) {
        return switch (v) {
            case Verdict.Reject r ->
                    "reject"
                            + r.text().map(t -> " \"" + t + "\"").orElse("")
                            + " ("
                            + r.reason()
                            + ")";
            case Verdict.Defer d ->
                    "defer"
                            + d.text().map(t -> " \"" + t + "\"").orElse("")
                            + " ("
                            + d.reason()
                            + ")";
            case Verdict.Quarantine q -> "quarantine to " + q.mailbox().address();
            case Verdict.Tag t ->
                    "tag"
                            + t.subjectPrefix().map(p -> " subject \"" + p + "\"").orElse("")
                            + t.headers().stream()
                                    .map(h -> " " + h.name() + ": " + h.value())
                                    .reduce("", String::concat);
            default -> Simulation.name(v);
        };
    }
}
