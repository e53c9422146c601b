package dev.bulwark.cli;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.auth.Authentication;
import dev.bulwark.auth.AuthenticationResults;
import dev.bulwark.auth.ListResult;
import dev.bulwark.check.Hit;
import dev.bulwark.check.Verdict;
import dev.bulwark.classifier.Score;
import dev.bulwark.dns.DnsClient;
import dev.bulwark.dns.DnsResolver;
import dev.bulwark.dns.DnsSettings;
import dev.bulwark.dns.RecordedAnswersException;
import dev.bulwark.dns.RecordedResolver;
import dev.bulwark.envelope.Paths;
import dev.bulwark.envelope.ReversePath;
import dev.bulwark.flow.InMemoryNextHop;
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
import java.util.List;
import java.util.Locale;

/**
 * {@code check}: one message through a policy (a directory, or the one compiled into this runtime),
 * run through the same transaction flow as the server with an in-memory next hop, printing each
 * stage's decision, the score, every rule that fired with what it matched, our reply, and the trace
 * headers the next hop would get.
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
        String dns = null;
        Path answers = null;
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
                case "--dns" -> dns = args[++i];
                case "--dns-answers" -> answers = Path.of(args[++i]);
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
                            + " [--to ADDR]... [--dns SERVERS|system | --dns-answers FILE] FILE");
            return 2;
        }
        if (dns != null && answers != null) {
            err.println("--dns and --dns-answers exclude each other: live or recorded answers");
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
                    Cases.asReceived(
                            file.equals(Path.of("-"))
                                    ? System.in.readAllBytes()
                                    : Files.readAllBytes(file));
            DnsResolver resolver;
            String dnsSource;
            if (dns != null) {
                // Live: the resolvers named, or the system's, as a node with no dns.servers.
                DnsSettings settings =
                        dns.equals("system")
                                ? DnsSettings.system()
                                : DnsSettings.of(DnsSettings.parseServers(dns));
                resolver = DnsClient.of(settings);
                dnsSource =
                        "live, "
                                + String.join(
                                        ", ",
                                        settings.servers().stream()
                                                .map(
                                                        a ->
                                                                a.getAddress().getHostAddress()
                                                                        + ":"
                                                                        + a.getPort())
                                                .toList());
            } else if (answers != null) {
                resolver = RecordedResolver.load(answers);
                dnsSource = "recorded answers in " + answers;
            } else {
                resolver = RecordedResolver.none();
                dnsSource = "offline: every question is NXDOMAIN (--dns to ask resolvers)";
            }
            Trial trial =
                    Trial.run(
                            Policy.of(policy),
                            new Envelope(address, helo, sender, to),
                            message,
                            resolver);
            out.println(
                    "policy   "
                            + (policyDir == null ? "embedded" : policyDir.toString())
                            + " "
                            + policy.digest());
            out.println("dns      " + dnsSource);
            for (Trial.Step s : trial.steps()) {
                out.printf(
                        "%-8s %-32s %-10s score %s%n",
                        s.stage().key(),
                        clip(s.argument()),
                        s.answer().refused()
                                ? (s.answer().reply().isTransient() ? "defer" : "reject")
                                : Trial.name(s.decision().verdict()),
                        s.decision().score());
                for (Hit h : s.decision().hits()) {
                    out.printf(
                            "         %s %s%s: %s%n",
                            h.shadow() ? "shadow" : "fired ",
                            h.ruleId(),
                            h.score().isZero()
                                    ? ""
                                    : " (" + (h.score().value() > 0 ? "+" : "") + h.score() + ")",
                            h.detail());
                }
                if (s.decision().classifier().isPresent() && policy.classifier().isPresent()) {
                    explain(
                            s.decision().classifier().getAsDouble(),
                            policy.classifier().get().score(message),
                            out);
                }
                if (s.answer().refused()) {
                    out.println("         reply  " + s.answer().reply().line());
                }
            }
            out.println(
                    "verdict  "
                            + describe(trial.verdict())
                            + " at "
                            + trial.stage().key()
                            + ", score "
                            + trial.score());
            out.println("reply    " + trial.reply().line());
            authentication(trial, out);
            for (InMemoryNextHop.Delivery d : trial.deliveries()) {
                out.println(
                        "relayed  to "
                                + String.join(
                                        ", ",
                                        d.recipients().stream().map(m -> m.address()).toList()));
                for (String header : traceHeaders(d.message())) {
                    out.println("         " + header);
                }
            }
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
        } catch (RecordedAnswersException e) {
            e.diagnostics().forEach(err::println);
            return 1;
        } catch (IOException e) {
            err.println("cannot read: " + e.getMessage());
            return 1;
        }
    }

    /** What SPF, DKIM, DMARC and the DNS lists gave, as the Authentication-Results field says. */
    private static void authentication(Trial trial, PrintStream out) {
        if (trial.records().isEmpty()) {
            return;
        }
        AuditRecord last = trial.records().get(trial.records().size() - 1);
        if (last.authentication().isEmpty()) {
            return;
        }
        Authentication a = last.authentication().get();
        String field = new AuthenticationResults(Trial.HOSTNAME).render(a);
        for (String line : field.split("\r\n")) {
            out.println("auth     " + line.strip());
        }
        for (ListResult l : a.clientLists()) {
            out.println("dnsbl    " + list(l));
        }
        for (ListResult l : a.uriLists()) {
            out.println("uribl    " + list(l));
        }
    }

    private static String list(ListResult l) {
        return l.zone()
                + " "
                + l.subject()
                + ": "
                + l.status().name().toLowerCase(java.util.Locale.ROOT)
                + (l.codes().isEmpty() ? "" : " " + String.join(", ", l.codes()))
                + (l.status() == ListResult.Status.TEMPERROR ? " (" + l.reason() + ")" : "");
    }

    /** How many of the tokens that moved the classifier most {@code check} shows. */
    static final int CLUES = 10;

    /**
     * The classifier's probability and the tokens that moved it most, as SpamAssassin's BAYES_99
     * explanation does: each with its pull in log-odds, positive towards spam.
     */
    private static void explain(double probability, Score score, PrintStream out) {
        out.printf(
                "         classifier %s; the tokens that moved it most:%n",
                Score.format(probability));
        for (Score.Clue c : score.topTokens(CLUES)) {
            out.printf(Locale.ROOT, "           %+.3f %s%n", c.weight(), clip(c.token(), 60));
        }
    }

    private static String clip(String s, int max) {
        return s.length() > max ? s.substring(0, max - 3) + "..." : s;
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
            default -> Trial.name(v);
        };
    }

    /** The header lines our relay put in front of the message (Received, X-Bulwark...). */
    private static List<String> traceHeaders(byte[] message) {
        List<String> lines = new ArrayList<>();
        String head =
                new String(
                        message,
                        0,
                        Math.min(message.length, 4096),
                        java.nio.charset.StandardCharsets.UTF_8);
        for (String line : head.split("\r\n")) {
            if (line.startsWith("X-Bulwark")) {
                lines.add(line);
            }
        }
        return lines;
    }
}
