package dev.bulwark.cli;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;

import dev.bulwark.Node;
import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.AuditSink;
import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.flow.Policy;
import dev.bulwark.ops.VersionInfo;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Diagnostic;
import dev.bulwark.policy.PolicyException;
import dev.bulwark.site.SiteSettings;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bulwark demo}: the relay with the repository's policy and an embedded next hop (GreenMail,
 * in this process), so a newcomer can send mail with any SMTP client and see what happened to it.
 * It sends a few sample messages first, then waits for yours until Ctrl-C. A development command:
 * the shipped runtime has no GreenMail and never serves a policy directory.
 */
@Command(
        name = "demo",
        header = "Development: the relay with a policy directory and an embedded next hop.",
        description = {
            "Development: the relay with a policy directory and an embedded next hop (GreenMail, in"
                    + " this process). Sends a few sample messages, then shows each transaction"
                    + " (rules that fired, with their descriptions) until Ctrl-C.",
            "Not in the shipped runtime, which never serves a policy directory."
        },
        exitCodeList = {"0:stopped", "1:the policy has errors, or cannot be read", "2:usage error"})
final class DemoCommand implements Cli.Action {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final int DEFAULT_PORT = 2525;

    @Option(
            names = "--policy",
            paramLabel = "DIR",
            description = "the policy directory (default: ${DEFAULT-VALUE})")
    private Path policyDir = Path.of("policy");

    @Option(
            names = "--port",
            paramLabel = "N",
            description = "the SMTP port, or a free one if taken (default: ${DEFAULT-VALUE})")
    private int port = DEFAULT_PORT;

    @Option(names = "--no-samples", description = "do not send the sample messages")
    private boolean noSamples;

    @Option(names = "--samples-only", description = "stop after the sample messages")
    private boolean samplesOnly;

    @Override
    public int run(PrintStream out, PrintStream err) {
        boolean samples = !noSamples;
        boolean stay = !samplesOnly;
        int port = this.port;
        CompiledPolicy policy;
        try {
            policy = CompiledPolicy.compile(policyDir);
        } catch (PolicyException e) {
            for (Diagnostic d : e.diagnostics()) {
                err.println(d);
            }
            return 1;
        } catch (IOException e) {
            err.println(
                    "bulwark demo: cannot read the policy in " + policyDir + ": " + e.getMessage());
            return 1;
        }
        if (!portFree(port)) {
            err.println(
                    "bulwark demo: port "
                            + port
                            + " is taken; using a free one instead (or pass --port N)");
            port = 0;
        }
        GreenMail nextHop =
                new GreenMail(
                        new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort());
        nextHop.start();
        SiteSettings site =
                SiteSettings.of(
                        Map.of(
                                "hostname",
                                "demo.bulwark.test",
                                "listen",
                                "127.0.0.1:" + port,
                                "next-hop",
                                "127.0.0.1:" + nextHop.getSmtp().getPort(),
                                "metrics.listen",
                                "127.0.0.1:0",
                                // The system's resolvers; a machine without DNS still sees its
                                // mail within a second and a half (results temperror).
                                "dns.budget",
                                "1500"));
        VersionInfo version = new VersionInfo("demo", "working tree", policy.digest(), "unsigned");
        Narrator narrator = new Narrator(out, nextHop, policy);
        try (Node node =
                Node.start(
                        site,
                        new Node.Parts(
                                Policy.of(policy),
                                version,
                                () -> true,
                                OutputStream.nullOutputStream(),
                                narrator))) {
            int smtpPort = node.smtpPort();
            out.println(
                    "Bulwark demo: relaying for "
                            + String.join(", ", policy.relayDomainEntries())
                            + " with the policy in "
                            + policyDir
                            + " (digest "
                            + policy.digest().substring(0, 12)
                            + "...)");
            out.println(
                    "  SMTP on 127.0.0.1:"
                            + smtpPort
                            + ", next hop: an embedded mail server (GreenMail) on 127.0.0.1:"
                            + nextHop.getSmtp().getPort());
            node.opsAddress()
                    .ifPresent(
                            a ->
                                    out.println(
                                            "  metrics http://127.0.0.1:"
                                                    + a.getPort()
                                                    + "/metrics, version "
                                                    + "http://127.0.0.1:"
                                                    + a.getPort()
                                                    + "/version"));
            out.println();
            if (samples) {
                out.println("Sending sample messages from policy/tests/messages:");
                sendSamples(policyDir, smtpPort, out);
                out.println();
            }
            if (!stay) {
                return 0;
            }
            out.println("Send your own, for example:");
            out.println(
                    "  curl -s smtp://127.0.0.1:"
                            + smtpPort
                            + " --mail-from you@example.org --mail-rcpt bob@example.com \\");
            out.println("       --upload-file " + policyDir.resolve("tests/messages/plain.eml"));
            out.println(
                    "  swaks --server 127.0.0.1:"
                            + smtpPort
                            + " --to bob@example.com --body 'hello'");
            out.println("Each transaction is shown below. Ctrl-C stops the demo.");
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } finally {
            nextHop.stop();
        }
    }

    /** One sample: which message, to whom, and what the policy is expected to do with it. */
    private record Sample(String file, String recipient, String expectation) {}

    private static void sendSamples(Path policyDir, int port, PrintStream out) {
        List<Sample> samples =
                List.of(
                        new Sample(
                                "plain.eml", "bob@example.com", "an ordinary message: delivered"),
                        new Sample(
                                "adv-offer.eml",
                                "bob@example.com",
                                "a sales pitch: tagged with [SPAM]"),
                        new Sample(
                                "macro-document.eml",
                                "bob@example.com",
                                "a document with macros: quarantined"),
                        new Sample(
                                "gtube.eml", "bob@example.com", "the GTUBE test string: rejected"),
                        new Sample(
                                "double-extension.eml",
                                "bob@example.com",
                                "invoice.pdf.exe: rejected"),
                        new Sample(
                                "plain.eml",
                                "someone@elsewhere.example",
                                "a domain we do not relay for: refused"));
        for (Sample s : samples) {
            out.println("- " + s.expectation());
            try {
                byte[] message =
                        Files.readAllBytes(policyDir.resolve("tests/messages").resolve(s.file()));
                send(port, "alice@example.org", s.recipient(), message);
            } catch (IOException e) {
                out.println("  could not send " + s.file() + ": " + e.getMessage());
            }
        }
    }

    /** A minimal SMTP client: just enough to hand the samples to the relay. */
    private static void send(int port, String from, String to, byte[] message) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(30_000);
            BufferedReader in =
                    new BufferedReader(
                            new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream o = socket.getOutputStream();
            reply(in);
            command(o, in, "EHLO mail.example.org");
            if (!command(o, in, "MAIL FROM:<" + from + ">").startsWith("2")
                    || !command(o, in, "RCPT TO:<" + to + ">").startsWith("2")
                    || !command(o, in, "DATA").startsWith("3")) {
                command(o, in, "QUIT");
                return;
            }
            String text =
                    new String(message, StandardCharsets.UTF_8)
                            .replace("\r\n", "\n")
                            .replace("\n", "\r\n");
            if (!text.endsWith("\r\n")) {
                text += "\r\n";
            }
            o.write((text.replaceAll("(?m)^\\.", "..") + ".\r\n").getBytes(StandardCharsets.UTF_8));
            o.flush();
            reply(in);
            command(o, in, "QUIT");
        }
    }

    private static String command(OutputStream o, BufferedReader in, String line)
            throws IOException {
        o.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        o.flush();
        return reply(in);
    }

    private static String reply(BufferedReader in) throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("the relay closed the connection");
            }
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    private static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Tells, for each audit record, what happened and where the message went. */
    private static final class Narrator implements AuditSink {
        private final PrintStream out;
        private final GreenMail nextHop;
        private final CompiledPolicy policy;
        private final String quarantine;

        Narrator(PrintStream out, GreenMail nextHop, CompiledPolicy policy) {
            this.out = out;
            this.nextHop = nextHop;
            this.policy = policy;
            this.quarantine =
                    policy.quarantineMailbox()
                            .map(Object::toString)
                            .orElse("the quarantine mailbox");
        }

        @Override
        public void record(AuditRecord r) {
            StringBuilder b = new StringBuilder();
            b.append(LocalTime.now().format(TIME))
                    .append("  ")
                    .append(String.format("%-10s", r.verdict().key()));
            if (r.kind() == AuditRecord.Kind.CONNECTION) {
                b.append(" connection from ").append(r.client()).append(" refused");
            } else if (r.kind() == AuditRecord.Kind.GREETING) {
                b.append(" greeting ").append(r.helo().orElse("?")).append(" refused");
            } else {
                b.append(' ').append(r.sender().orElse("?")).append(" -> ");
                List<String> rcpts = new ArrayList<>();
                for (AuditRecord.RecipientOutcome o : r.recipients()) {
                    rcpts.add(o.address() + (o.accepted() ? "" : " (refused: " + o.reply() + ")"));
                }
                b.append(String.join(", ", rcpts));
            }
            for (String rule : r.rules()) {
                b.append("\n            rule: ").append(rule);
                policy.description(rule).ifPresent(d -> b.append(" \u2014 ").append(d));
            }
            if (!r.score().isZero()) {
                b.append("\n            score: ").append(r.score());
            }
            if (!r.reply().isEmpty()) {
                b.append("\n            reply: ").append(r.reply());
            }
            r.transactionId()
                    .flatMap(this::delivered)
                    .ifPresent(
                            headers ->
                                    b.append("\n            at the next hop, for ")
                                            .append(
                                                    r.verdict() == AuditVerdict.QUARANTINE
                                                            ? quarantine
                                                                    + " (the quarantine mailbox)"
                                                            : String.join(
                                                                    ", ",
                                                                    r.recipients().stream()
                                                                            .filter(
                                                                                    AuditRecord
                                                                                                    .RecipientOutcome
                                                                                            ::accepted)
                                                                            .map(
                                                                                    AuditRecord
                                                                                                    .RecipientOutcome
                                                                                            ::address)
                                                                            .toList()))
                                            .append(": ")
                                            .append(headers));
            out.println(b);
        }

        /** What the next hop holds of one transaction: its subject and the X-Bulwark stamp. */
        private java.util.Optional<String> delivered(String transactionId) {
            for (MimeMessage m : nextHop.getReceivedMessages()) {
                try {
                    String[] stamp = m.getHeader("X-Bulwark");
                    if (stamp != null && stamp[0].endsWith("id=" + transactionId)) {
                        return java.util.Optional.of(
                                "Subject: "
                                        + m.getSubject()
                                        + "\n            X-Bulwark: "
                                        + stamp[0]);
                    }
                } catch (MessagingException e) {
                    return java.util.Optional.of("unreadable message: " + e.getMessage());
                }
            }
            return java.util.Optional.empty();
        }
    }
}
