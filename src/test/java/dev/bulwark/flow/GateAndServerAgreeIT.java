package dev.bulwark.flow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.policy.Cases;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Envelope;
import dev.bulwark.ratelimit.RateLimiter;
import dev.bulwark.site.Cidr;
import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.RelayUnderTest;
import dev.bulwark.testing.SmtpWire;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Inet6Address;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The ruleset gate tests what the server does: every case in {@code policy/tests/} runs through the
 * gate's {@link Trial} and over real SMTP against a relay on an ephemeral port (the case's client
 * address given by a PROXY protocol header from a trusted balancer on loopback), and the two must
 * agree on the audit records (verdict, score, rules fired, recipients, reply), the decisive reply,
 * and what reached the next hop.
 *
 * <p>The next hop is a real SMTP server that accepts every recipient, as the gate's in-memory one
 * does: {@link RecordingNextHop} (SubEthaSMTP), which also gives the delivered bytes. GreenMail,
 * the other relay tests' next hop, answers every RCPT after {@code MAIL FROM:<>} with 503, so it
 * cannot receive the bounce the policy's null-sender case sends.
 */
class GateAndServerAgreeIT {

    private static final Path POLICY = Path.of("policy");

    private static RecordingNextHop nextHop;

    /** One side's view of a case: the audit records, the reply that decided, the deliveries. */
    private record Seen(List<String> records, String reply, List<String> delivered) {}

    @BeforeAll
    static void startNextHop() {
        nextHop = new RecordingNextHop();
    }

    @AfterAll
    static void stopNextHop() {
        nextHop.close();
    }

    @TestFactory
    Stream<DynamicTest> everyPolicyCaseGetsTheGatesVerdictRulesAndReplyOverSmtp() throws Exception {
        CompiledPolicy compiled = CompiledPolicy.compile(POLICY);
        Policy policy = Policy.of(compiled);
        List<Cases.Case> cases = Cases.load(POLICY, compiled);
        assertThat(cases).hasSizeGreaterThan(40);
        return cases.stream()
                .map(
                        c ->
                                DynamicTest.dynamicTest(
                                        c.name(),
                                        () ->
                                                assertThat(overSmtp(compiled, c))
                                                        .isEqualTo(byGate(policy, c))));
    }

    /** What the gate says of the case. */
    private static Seen byGate(Policy policy, Cases.Case c) {
        Trial trial = Trial.run(policy, c.envelope(), c.message(), c.resolver());
        List<AuditRecord> records = trial.records();
        List<String> delivered = new ArrayList<>();
        for (InMemoryNextHop.Delivery d : trial.deliveries()) {
            List<String> to = d.recipients().stream().map(Mailbox::address).toList();
            delivered.add(delivery(d.sender().toSmtp(), to, d.message(), records));
        }
        return new Seen(describe(records), normalized(trial.reply().line(), records), delivered);
    }

    /**
     * What the server does with the case, on a fresh relay (fresh rate-limit buckets, as a trial).
     */
    private static Seen overSmtp(CompiledPolicy compiled, Cases.Case c) throws IOException {
        RateLimiter limiter = RateLimiter.builder(Trial.local(compiled.rateLimits())).build();
        int before = nextHop.deliveries().size();
        try (RelayUnderTest relay =
                new RelayUnderTest(
                        compiled,
                        limiter,
                        nextHop.port(),
                        s -> s.withTrustedBalancers(List.of(Cidr.parse("127.0.0.1/32"))),
                        h -> h,
                        // The case's recorded DNS answers, and the gate's authserv-id, so that
                        // the Authentication-Results fields compare equal.
                        f ->
                                f.authenticator(
                                        new Authenticator(
                                                c.resolver(),
                                                compiled.publicSuffixes(),
                                                Clock.systemUTC(),
                                                Trial.HOSTNAME,
                                                Duration.ofSeconds(10))),
                        r -> {},
                        dev.bulwark.ops.ConnectionListener.NONE)) {
            String reply = converse(relay.port(), c.envelope(), c.message());
            List<AuditRecord> audit = relay.audit();
            List<RecordingNextHop.Delivery> all = nextHop.deliveries();
            return new Seen(
                    describe(audit),
                    normalized(reply, audit),
                    all.subList(before, all.size()).stream()
                            .map(
                                    d ->
                                            delivery(
                                                    "<" + d.from() + ">",
                                                    d.recipients(),
                                                    d.data(),
                                                    audit))
                            .toList());
        }
    }

    /**
     * A client sending the case as {@link Trial} does: PROXY header, EHLO, MAIL, every RCPT, the
     * message, QUIT. Returns the reply that decided.
     */
    private static String converse(int port, Envelope e, byte[] message) throws IOException {
        try (SmtpWire w = new SmtpWire(port)) {
            String client = e.client().getHostAddress();
            boolean v6 = e.client() instanceof Inet6Address;
            w.raw(
                    "PROXY "
                            + (v6 ? "TCP6 " : "TCP4 ")
                            + client
                            + (v6 ? " ::1 " : " 127.0.0.1 ")
                            + "40000 25\r\n");
            String banner = w.reply();
            if (!banner.startsWith("220")) {
                return banner;
            }
            String decisive = command(w, "EHLO " + e.helo());
            if (!decisive.startsWith("2")) {
                return quit(w, decisive);
            }
            decisive = command(w, "MAIL FROM:" + e.sender().toSmtp());
            if (!decisive.startsWith("2")) {
                return quit(w, decisive);
            }
            String lastRefusal = null;
            int accepted = 0;
            for (String r : e.recipients()) {
                String answer = command(w, "RCPT TO:" + Trial.path(r));
                if (answer.startsWith("2")) {
                    accepted++;
                } else {
                    lastRefusal = answer;
                }
            }
            if (accepted == 0) {
                return quit(w, lastRefusal);
            }
            String go = command(w, "DATA");
            assertThat(go).startsWith("354");
            w.raw(dotStuffed(Trial.ended(message)));
            return quit(w, lastLine(w.reply()));
        }
    }

    private static String command(SmtpWire w, String line) throws IOException {
        w.send(line);
        return lastLine(w.reply());
    }

    private static String quit(SmtpWire w, String decisive) throws IOException {
        w.send("QUIT");
        assertThat(w.reply()).startsWith("221 ");
        return decisive;
    }

    private static String lastLine(String reply) {
        return reply.substring(reply.lastIndexOf('\n') + 1);
    }

    /** The message as DATA carries it: leading dots doubled, then the end marker. */
    private static byte[] dotStuffed(byte[] message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 64);
        boolean lineStart = true;
        for (byte b : message) {
            if (lineStart && b == '.') {
                out.write('.');
            }
            out.write(b);
            lineStart = b == '\n';
        }
        out.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /**
     * What two runs must share: kind, verdict, score, rules and shadow rules, recipients, reply.
     */
    private static List<String> describe(List<AuditRecord> records) {
        List<String> out = new ArrayList<>();
        for (AuditRecord r : records) {
            out.add(
                    r.kind().key()
                            + " "
                            + r.verdict().key()
                            + " score "
                            + r.score()
                            + " rules "
                            + r.rules()
                            + " shadow "
                            + r.shadowRules()
                            + " recipients "
                            + r.recipients().stream()
                                    .map(o -> o.address() + " " + o.reply() + " " + o.rules())
                                    .toList()
                            + " reply "
                            + normalized(r.reply(), records));
        }
        return out;
    }

    /**
     * A delivery: envelope and message, without the Received header (it names the node and the
     * time) and with the transaction id replaced.
     */
    private static String delivery(
            String sender, List<String> recipients, byte[] message, List<AuditRecord> records) {
        String text = new String(message, StandardCharsets.ISO_8859_1);
        assertThat(text).startsWith("Received: ");
        int end = text.indexOf("\r\n", text.indexOf(';'));
        return sender + " -> " + recipients + "\n" + normalized(text.substring(end + 2), records);
    }

    /** A reply with the transaction id (which names the session) replaced by {@code <id>}. */
    private static String normalized(String reply, List<AuditRecord> records) {
        String out = reply;
        for (AuditRecord r : records) {
            if (r.transactionId().isPresent()) {
                out = out.replace(r.transactionId().get(), "<id>");
            }
        }
        return out;
    }
}
