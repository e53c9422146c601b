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
import dev.bulwark.flow.Reply;
import dev.bulwark.flow.Trial;
import dev.bulwark.policy.Cases;
import dev.bulwark.policy.CompiledPolicy;
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
@Command(
        name = "check",
        header = "Runs one message through a policy and shows what every stage did.",
        description = {
            "Runs one message through a policy (a directory, or the one compiled into this"
                    + " runtime) in the same transaction flow as the server, with an in-memory next"
                    + " hop. Prints each stage's decision, the score, every rule that fired (with"
                    + " its description) and what it matched, our reply, and the trace headers the"
                    + " next hop would get.",
            "DNS is offline unless --dns or --dns-answers is given."
        },
        exitCodeList = {
            "0:accepted: our reply to the final stage was 2xx (deliver, accept, tag, quarantine or"
                    + " discard)",
            "1:rejected: a 5xx reply",
            "2:usage error: an unknown option, a malformed address or IP",
            "3:deferred: a 4xx reply (the client would retry)",
            "4:could not check: an invalid policy, an unreadable message or DNS answers file"
        })
final class CheckCommand implements Cli.Action {

    /** Exit status: our reply was 2xx. */
    static final int ACCEPTED = 0;

    /** Exit status: our reply was 5xx. */
    static final int REJECTED = 1;

    /** Exit status: our reply was 4xx. */
    static final int DEFERRED = 3;

    /** Exit status: the check could not run (policy, message or answers unusable). */
    static final int FAILED = 4;

    @Spec private CommandSpec spec;

    @Option(
            names = "--policy",
            paramLabel = "DIR",
            description = "the policy directory (default: the policy compiled into this runtime)")
    private Path policyDir;

    @Option(
            names = "--client",
            paramLabel = "IP",
            description = "the client's address (default: ${DEFAULT-VALUE})")
    private String client = "198.51.100.25";

    @Option(
            names = "--helo",
            paramLabel = "NAME",
            description = "the name the client greets with (default: ${DEFAULT-VALUE})")
    private String helo = "mail.example.org";

    @Option(
            names = "--from",
            paramLabel = "ADDR",
            description = "the envelope sender, <> for none (default: ${DEFAULT-VALUE})")
    private String from = "sender@example.org";

    @Option(
            names = "--to",
            paramLabel = "ADDR",
            description =
                    "an envelope recipient, repeatable (default: user@ the first relay domain)")
    private List<String> to = new ArrayList<>();

    @Option(
            names = "--dns",
            paramLabel = "SERVERS|system",
            description =
                    "ask these resolvers (HOST[:PORT],...) or the system's, live: SPF, DKIM, DMARC"
                            + " and DNS lists")
    private String dns;

    @Option(
            names = "--dns-answers",
            paramLabel = "FILE",
            description = "replay the answers recorded in this zone file")
    private Path answers;

    @Parameters(paramLabel = "FILE", description = "the message; - for standard input")
    private Path file;

    @Override
    public int run(PrintStream out, PrintStream err) {
        if (dns != null && answers != null) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--dns and --dns-answers exclude each other: live or recorded answers");
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
                    policy.description(h.ruleId())
                            .ifPresent(d -> out.println("           \u2014 " + d));
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
            return exitStatus(trial.reply());
        } catch (PolicyException e) {
            e.diagnostics().forEach(err::println);
            return FAILED;
        } catch (IllegalArgumentException e) {
            // A malformed --client, --from or --to: a usage error, named by the parser's message.
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        } catch (IllegalStateException e) {
            err.println(e.getMessage());
            return FAILED;
        } catch (RecordedAnswersException e) {
            e.diagnostics().forEach(err::println);
            return FAILED;
        } catch (IOException e) {
            err.println("cannot read: " + e.getMessage());
            return FAILED;
        }
    }

    /** The exit status follows the class of our reply: what the client would have been told. */
    static int exitStatus(Reply reply) {
        return switch (reply.code() / 100) {
            case 2, 3 -> ACCEPTED;
            case 4 -> DEFERRED;
            default -> REJECTED;
        };
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
