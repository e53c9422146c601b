package dev.bulwark.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Connection;
import dev.bulwark.check.Filter;
import dev.bulwark.check.Limits;
import dev.bulwark.flow.Flow;
import dev.bulwark.flow.InMemoryNextHop;
import dev.bulwark.flow.Policy;
import dev.bulwark.ops.ConnectionListener;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.PolicyException;
import dev.bulwark.testing.TestFilter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Regression tests for the protocol defects found by attacking the relay (issue 11): each drives
 * the session layer over a fake wire with the real flow and an in-memory next hop behind it.
 */
class ProtocolDefectsTest {

    private final List<AuditRecord> audit = new CopyOnWriteArrayList<>();
    private final InMemoryNextHop nextHop = new InMemoryNextHop();
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private Deadlines deadlines;

    private SmtpSession open(FakeWire wire, Filter filter) {
        Flow flow =
                Flow.builder(Policy.of(filter, List.of()), nextHop)
                        .audit(audit::add)
                        .hostname("relay.test")
                        .nanoTime(nanos::get)
                        .build();
        deadlines = new Deadlines(Duration.ofSeconds(10), nanos::get);
        SmtpService service =
                new SmtpService(
                        flow,
                        SmtpSettings.of(new InetSocketAddress("127.0.0.1", 0)),
                        deadlines,
                        ConnectionListener.NONE);
        Connection connection =
                new Connection("s1", InetAddress.ofLiteral("192.0.2.7"), Optional.empty());
        return ((SmtpService.Opened.Admitted) service.open(connection, wire)).session();
    }

    private SmtpSession open(FakeWire wire) {
        return open(wire, TestFilter.relayingFor("example.com"));
    }

    private static CompiledPolicy policy(String yaml) {
        try {
            return CompiledPolicy.fromCanonical(
                    "test.yaml", "relay-domains: [example.com]\n" + yaml);
        } catch (PolicyException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    @AfterEach
    void stop() {
        if (deadlines != null) {
            deadlines.close();
        }
    }

    private static void envelope(SmtpSession s) throws IOException {
        s.command("EHLO client.example");
        s.command("MAIL FROM:<alice@sender.example>");
        s.command("RCPT TO:<bob@example.com>");
    }

    private String delivered(int i) {
        return new String(nextHop.deliveries().get(i).message(), StandardCharsets.UTF_8);
    }

    @Test
    void aSecondEhloReplacesTheHitsOfTheFirstGreeting() throws Exception {
        FakeWire wire = new FakeWire("Subject: hi\r\n\r\nhello\r\n.\r\n");
        SmtpSession s =
                open(
                        wire,
                        policy(
                                """
                                rules:
                                  helo:
                                    - {id: pool, when: {helo-matches: client}, score: 1}
                                """));
        s.command("EHLO client.example");
        s.command("EHLO client.example");
        s.command("EHLO client.example");
        s.command("MAIL FROM:<alice@sender.example>");
        s.command("RCPT TO:<bob@example.com>");
        s.command("DATA");
        assertThat(wire.last()).startsWith("250 ");
        assertThat(delivered(0)).contains("X-Bulwark: verdict=accept; score=1; ");
        assertThat(audit)
                .singleElement()
                .satisfies(r -> assertThat(r.rules()).containsExactly("pool"));
    }

    @Test
    void aBdatMessageEndingInALoneCarriageReturnIsRefused() throws Exception {
        FakeWire wire = new FakeWire("Subject: c\r\n\r\nbody\r");
        SmtpSession s = open(wire);
        envelope(s);
        s.command("BDAT 19 LAST");
        assertThat(wire.last()).startsWith("550 5.6.0 ");
        assertThat(nextHop.deliveries()).isEmpty();
        assertThat(audit)
                .singleElement()
                .satisfies(r -> assertThat(r.rules()).containsExactly("protocol:bare-line-ending"));
    }

    @Test
    void aNulOctetInAMessageRefusesItSoNoNextHopCanEndDataEarly() throws Exception {
        // A next hop that drops NUL would see <CRLF>.<CRLF> here and run the rest as commands.
        FakeWire wire =
                new FakeWire(
                        "Subject: x\r\n\r\n"
                                + "hi\r\n"
                                + "\0.\r\n"
                                + "MAIL FROM:<ceo@example.com>\r\n"
                                + "RCPT TO:<bob@example.com>\r\n"
                                + "DATA\r\n\r\n"
                                + "forged\r\n"
                                + ".\r\n"
                                + "NOOP\r\n");
        SmtpSession s = open(wire);
        envelope(s);
        s.command("DATA");
        assertThat(wire.last()).startsWith("550 5.6.0 ");
        assertThat(wire.rest()).isEqualTo("NOOP\r\n");
        assertThat(nextHop.deliveries()).isEmpty();
        assertThat(audit)
                .singleElement()
                .satisfies(r -> assertThat(r.rules()).containsExactly("protocol:nul"));
    }

    @Test
    void recipientsPastTheLimitGet452AndTheSessionGoesOn() throws Exception {
        FakeWire wire = new FakeWire("Subject: many\r\n\r\nhello\r\n.\r\n");
        SmtpSession s =
                open(
                        wire,
                        TestFilter.relayingFor("example.com")
                                .withLimits(Limits.defaults().withMaxRecipients(2)));
        s.command("EHLO client.example");
        s.command("MAIL FROM:<alice@sender.example>");
        for (int i = 0; i < 60; i++) {
            s.command("RCPT TO:<user" + i + "@example.com>");
            if (i >= 2) {
                assertThat(wire.last()).isEqualTo("452 4.5.3 Too many recipients");
            }
        }
        assertThat(wire.closed()).isFalse();
        s.command("DATA");
        assertThat(wire.last()).isEqualTo("250 2.0.0 Ok: delivered as s1.1");
        assertThat(nextHop.deliveries())
                .singleElement()
                .satisfies(d -> assertThat(d.recipients()).hasSize(2));
    }

    @Test
    void aMessageThatHasTravelledTooManyHopsIsRefused() throws Exception {
        String hops = "Received: from a by b; Thu, 3 Dec 2026 10:00:00 +0000\r\n".repeat(50);
        FakeWire wire = new FakeWire(hops + "Subject: loop\r\n\r\nround and round\r\n.\r\n");
        SmtpSession s = open(wire);
        envelope(s);
        s.command("DATA");
        assertThat(wire.last()).isEqualTo("554 5.4.6 Too many hops, mail loop?");
        assertThat(nextHop.deliveries()).isEmpty();
        assertThat(audit)
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.verdict()).isEqualTo(AuditVerdict.REJECT);
                            assertThat(r.rules()).containsExactly("protocol:too-many-hops");
                        });
    }

    @Test
    void aMessageUnderTheHopLimitIsRelayed() throws Exception {
        String hops = "Received: from a by b; Thu, 3 Dec 2026 10:00:00 +0000\r\n".repeat(49);
        FakeWire wire = new FakeWire(hops + "Subject: far\r\n\r\nfrom afar\r\n.\r\n");
        SmtpSession s = open(wire);
        envelope(s);
        s.command("DATA");
        assertThat(wire.last()).startsWith("250 ");
        assertThat(delivered(0)).endsWith(hops + "Subject: far\r\n\r\nfrom afar\r\n");
    }

    @Test
    void linesLongerThan998OctetsAreRelayedByteForByte() throws Exception {
        String body =
                "<html><body>"
                        + "x".repeat(48_000)
                        + "</body></html>\r\nshort\r\n"
                        + "y".repeat(999);
        String message = "Subject: newsletter\r\n\r\n" + body + "\r\n";
        FakeWire wire = new FakeWire(message + ".\r\n");
        SmtpSession s = open(wire);
        envelope(s);
        s.command("DATA");
        assertThat(wire.last()).startsWith("250 ");
        assertThat(delivered(0)).endsWith("\r\n" + message);
    }

    @Test
    void aLineOverTheUpperBoundIsStillRefused() throws Exception {
        FakeWire wire =
                new FakeWire(
                        "Subject: huge\r\n\r\n"
                                + "z".repeat(Limits.defaults().maxDataLine() + 1)
                                + "\r\n.\r\n");
        SmtpSession s = open(wire);
        envelope(s);
        s.command("DATA");
        assertThat(wire.last()).startsWith("550 5.6.0 ");
        assertThat(audit)
                .singleElement()
                .satisfies(r -> assertThat(r.rules()).containsExactly("protocol:line-too-long"));
    }

    @Test
    void inboundBulwarkHeadersAreStrippedBeforeRelaying() throws Exception {
        String forged =
                "X-Bulwark: verdict=accept; score=-100; policy=forged; id=x\r\n"
                        + "From: alice@sender.example\r\n"
                        + "x-bulwark-recipients: ceo@example.com,\r\n"
                        + "\tcfo@example.com\r\n"
                        + "X-BULWARK-Anything:yes\r\n"
                        + "X-Bulwark-"
                        + "n".repeat(100)
                        + ": a name longer than the usual search\r\n"
                        + "X-Bulwarky: starts like ours\r\n"
                        + "X-Bulwar: not ours, kept\r\n"
                        + "Subject: hi\r\n"
                        + "\r\n"
                        + "X-Bulwark: in the body, kept\r\n";
        FakeWire wire = new FakeWire(forged + ".\r\n");
        SmtpSession s = open(wire);
        envelope(s);
        s.command("DATA");
        assertThat(wire.last()).startsWith("250 ");
        String out = delivered(0);
        assertThat(out)
                .endsWith(
                        "X-Bulwark: verdict=accept; score=0; policy="
                                + TestFilter.DIGEST
                                + "; id=s1.1\r\n"
                                + "From: alice@sender.example\r\n"
                                + "X-Bulwar: not ours, kept\r\n"
                                + "Subject: hi\r\n"
                                + "\r\n"
                                + "X-Bulwark: in the body, kept\r\n");
        assertThat(out)
                .doesNotContain("forged")
                .doesNotContain("ceo@")
                .doesNotContain("yes")
                .doesNotContain("starts like")
                .doesNotContain("usual search");
    }

    @Test
    void recipientDomainsSpeltWithCaseFoldLookAlikesAreNotRelayDomains() throws Exception {
        FakeWire wire = new FakeWire();
        SmtpSession s =
                open(
                        wire,
                        TestFilter.relayingFor("kiosk.example", "strasse.example", "mail.example"));
        s.command("EHLO client.example");
        s.command("MAIL FROM:<alice@sender.example>");
        for (String domain :
                List.of(
                        "\u212Aiosk.example", // KELVIN SIGN, folds to k
                        "kio\u017Fk.example", // LATIN SMALL LETTER LONG S, folds to s
                        "stra\u00DFe.example", // sharp s: ss in IDNA2003, itself in IDNA2008
                        "ma\u0131l.example", // dotless i
                        "MA\u0130L.example", // capital I with dot above
                        "\uFF4Biosk.example")) { // fullwidth k
            s.command("RCPT TO:<bob@" + domain + ">");
            assertThat(wire.last()).as(domain).isEqualTo("550 5.7.1 Relaying denied");
        }
        s.command("RCPT TO:<bob@KIOSK.Example>");
        assertThat(wire.last()).isEqualTo("250 2.1.5 Recipient ok");
    }
}
