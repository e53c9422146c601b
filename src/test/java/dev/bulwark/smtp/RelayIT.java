package dev.bulwark.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetupTest;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Limits;
import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.RelayUnderTest;
import dev.bulwark.testing.SmtpWire;
import dev.bulwark.testing.TestFilter;

import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** In-line relaying end to end: a client, Bulwark, and a real next hop, all on loopback. */
class RelayIT {

    @RegisterExtension
    static GreenMailExtension greenMail =
            new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

    private RecordingNextHop nextHop;
    private RelayUnderTest relay;

    static final String MESSAGE =
            """
            From: Alice <alice@sender.example>\r
            To: Bob <bob@example.com>\r
            Subject: quarterly figures\r
            Message-ID: <fig-1@sender.example>\r
            \r
            Hello Bob,\r
            .a line that starts with a dot survives\r
            ..and one with two\r
            caf\u00e9 in 8 bits, trailing space \r
            \r
            -- \r
            Alice\r
            """;

    @BeforeEach
    void start() {
        nextHop = new RecordingNextHop();
        relay =
                new RelayUnderTest(
                        TestFilter.relayingFor("example.com", ".example.net"), nextHop.port());
    }

    @AfterEach
    void stop() {
        relay.close();
        nextHop.close();
    }

    @Test
    void deliversAcceptedMailOnceWithTraceHeadersAndOtherwiseIdenticalBytes() throws Exception {
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.envelope("alice@sender.example", "bob@example.com");
            c.raw(dotStuff(MESSAGE) + ".\r\n");
            String reply = c.expect("250 2.0.0 ");
            c.send("QUIT");
            c.expect("221 2.0.0");
            assertThat(reply).contains("delivered as");
        }
        List<RecordingNextHop.Delivery> got = nextHop.await(1, 5000);
        assertThat(got).hasSize(1);
        RecordingNextHop.Delivery d = got.get(0);
        assertThat(d.from()).isEqualTo("alice@sender.example");
        assertThat(d.recipients()).containsExactly("bob@example.com");
        byte[] original = MESSAGE.getBytes(StandardCharsets.UTF_8);
        String text = d.text();
        assertThat(text)
                .startsWith(
                        "Received: from client.example.org ([127.0.0.1])\r\n"
                                + "\tby relay.test (Bulwark) with ESMTP\r\n");
        assertThat(text)
                .contains(
                        "\r\nX-Bulwark: verdict=accept; score=0; policy="
                                + TestFilter.DIGEST
                                + "; id=");
        int start = text.indexOf("From: Alice");
        byte[] tail =
                java.util.Arrays.copyOfRange(
                        d.data(), d.data().length - original.length, d.data().length);
        assertThat(tail).isEqualTo(original);
        assertThat(d.data().length - original.length)
                .isEqualTo(text.substring(0, start).getBytes(StandardCharsets.UTF_8).length);
        assertThat(nextHop.deliveries()).hasSize(1);
        AuditRecord audit = relay.audit().get(0);
        assertThat(audit.verdict()).isEqualTo(AuditVerdict.ACCEPT);
        assertThat(audit.messageId()).contains("<fig-1@sender.example>");
        assertThat(audit.size()).isEqualTo(original.length);
    }

    @Test
    void deliversToGreenMailExactlyOnce() throws Exception {
        try (RelayUnderTest viaGreenMail =
                        new RelayUnderTest(
                                TestFilter.relayingFor("example.com"),
                                greenMail.getSmtp().getPort());
                SmtpWire c = SmtpWire.open(viaGreenMail.port())) {
            c.envelope("alice@sender.example", "bob@example.com", "carol@example.com");
            c.raw(dotStuff(MESSAGE) + ".\r\n");
            c.expect("250 2.0.0 ");
            c.send("QUIT");
            c.expect("221 ");
        }
        assertThat(greenMail.waitForIncomingEmail(5000, 2)).isTrue();
        MimeMessage[] received = greenMail.getReceivedMessages();
        assertThat(received).hasSize(2); // one copy per recipient mailbox, one SMTP transaction
        String whole = GreenMailUtil.getWholeMessage(received[0]);
        assertThat(whole)
                .contains("X-Bulwark: verdict=accept;")
                .contains("by relay.test (Bulwark)");
        assertThat(received[0].getSubject()).isEqualTo("quarterly figures");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "<user@foreign.example>",
                "<user@example.com.foreign.example>",
                "<user@EXAMPLE.ORG>",
                "<\"user@foreign.example\"@example.com>",
                "<user%foreign.example@example.com>",
                "<foreign.example!user@example.com>",
                "<@example.com:user@foreign.example>",
                "<user@example.com.>",
                "<user@[127.0.0.1]>",
                "<user@[IPv6:::1]>",
                "<user@foreign.example@example.com>",
                "user@foreign.example",
                "<example.net>",
            })
    void refusesRecipientsOutsideRelayDomainsWhateverTheSyntax(String recipient) throws Exception {
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO client.example.org");
            c.expect("250 ");
            c.send("MAIL FROM:<alice@sender.example>");
            c.expect("250 ");
            c.send("RCPT TO:" + recipient);
            String reply = c.reply();
            assertThat(reply).matches("(550 5\\.7\\.1 |501 5\\.1\\.3 ).*");
            c.send("DATA");
            c.expect("554 5.5.1");
        }
        assertThat(nextHop.deliveries()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "<Bob@EXAMPLE.com>",
                "<@relay.foreign.example:bob@example.com>",
                "<bob@sub.example.net>",
                "<postmaster>",
                "<\"bob smith\"@example.com>"
            })
    void acceptsRecipientsInsideRelayDomains(String recipient) throws Exception {
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO client.example.org");
            c.expect("250 ");
            c.send("MAIL FROM:<alice@sender.example>");
            c.expect("250 ");
            c.send("RCPT TO:" + recipient);
            c.expect("250 2.1.5");
        }
    }

    @Test
    void refusesAtRcptARecipientTheNextHopRefuses() throws Exception {
        nextHop.refuseRecipient(
                "nobody@example.com",
                "550 5.1.1 <nobody@example.com>: no such user at nexthop.internal");
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO client.example.org");
            c.expect("250 ");
            c.send("MAIL FROM:<alice@sender.example>");
            c.expect("250 ");
            c.send("RCPT TO:<nobody@example.com>");
            String refused = c.expect("550 5.1.1 ");
            assertThat(refused).doesNotContain("nexthop.internal");
            c.send("RCPT TO:<bob@example.com>");
            c.expect("250 ");
            c.send("DATA");
            c.expect("354 ");
            c.raw(MESSAGE + ".\r\n");
            c.expect("250 ");
        }
        assertThat(nextHop.await(1, 5000))
                .singleElement()
                .satisfies(d -> assertThat(d.recipients()).containsExactly("bob@example.com"));
    }

    @Test
    void defersWhenNextHopIsDown() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (RelayUnderTest down =
                        new RelayUnderTest(TestFilter.relayingFor("example.com"), closedPort);
                SmtpWire c = SmtpWire.open(down.port())) {
            c.send("EHLO client.example.org");
            c.expect("250 ");
            c.send("MAIL FROM:<alice@sender.example>");
            c.expect("451 4.4.1 ");
            c.send("RCPT TO:<bob@example.com>");
            c.expect("503 5.5.1");
            assertThat(down.audit())
                    .singleElement()
                    .satisfies(a -> assertThat(a.verdict()).isEqualTo(AuditVerdict.DEFER));
        }
    }

    @Test
    void defersWhenNextHopDiesDuringData() throws Exception {
        nextHop.dieDuringData(10);
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.envelope("alice@sender.example", "bob@example.com");
            c.raw(MESSAGE + ".\r\n");
            c.expect("451 4.4.2 ");
            c.send("NOOP");
            c.expect("250 ");
        }
        assertThat(nextHop.deliveries()).isEmpty();
    }

    @Test
    void passesOnTheNextHopsVerdictOnTheMessage() throws Exception {
        nextHop.refuseData("552 5.2.2 mailbox full on nexthop.internal");
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.envelope("alice@sender.example", "bob@example.com");
            c.raw(MESSAGE + ".\r\n");
            String reply = c.expect("552 5.2.2 ");
            assertThat(reply).doesNotContain("nexthop");
        }
        nextHop.refuseData("451 4.3.0 try later");
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.envelope("alice@sender.example", "bob@example.com");
            c.raw(MESSAGE + ".\r\n");
            c.expect("451 4.3.0 ");
        }
    }

    @Test
    void refusesOversizeMessageAfterDrainingAndTheNextTransactionWorks() throws Exception {
        relay.close();
        relay =
                new RelayUnderTest(
                        TestFilter.relayingFor("example.com")
                                .withLimits(Limits.defaults().withMaxMessageSize(10_000)),
                        nextHop.port());
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO client.example.org");
            assertThat(c.expect("250 ")).contains("SIZE 10000");
            c.send("MAIL FROM:<alice@sender.example> SIZE=20000");
            c.expect("552 5.3.4 ");
            c.send("MAIL FROM:<alice@sender.example>");
            c.expect("250 ");
            c.send("RCPT TO:<bob@example.com>");
            c.expect("250 ");
            c.send("DATA");
            c.expect("354 ");
            StringBuilder big = new StringBuilder("Subject: big\r\n\r\n");
            while (big.length() < 50_000) {
                big.append(
                        "MAIL FROM:<evil@attacker.example> this line must not run as a"
                                + " command\r\n");
            }
            c.raw(big + ".\r\n");
            c.expect("552 5.3.4 ");
            c.send("MAIL FROM:<alice@sender.example>");
            c.expect("250 ");
            c.send("RCPT TO:<bob@example.com>");
            c.expect("250 ");
            c.send("DATA");
            c.expect("354 ");
            c.raw(MESSAGE + ".\r\n");
            c.expect("250 ");
        }
        assertThat(nextHop.await(1, 5000)).hasSize(1);
    }

    @Test
    void limitsRecipientsPerMessage() throws Exception {
        relay.close();
        relay =
                new RelayUnderTest(
                        TestFilter.relayingFor("example.com")
                                .withLimits(Limits.defaults().withMaxRecipients(2)),
                        nextHop.port());
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO client.example.org");
            c.expect("250 ");
            c.send("MAIL FROM:<alice@sender.example>");
            c.expect("250 ");
            c.send("RCPT TO:<a@example.com>");
            c.expect("250 ");
            c.send("RCPT TO:<b@example.com>");
            c.expect("250 ");
            c.send("RCPT TO:<c@example.com>");
            c.expect("452 4.5.3 ");
        }
    }

    @Test
    void pipelinedTransactionsGetTheirRepliesInOrder() throws Exception {
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO client.example.org");
            assertThat(c.expect("250 "))
                    .contains("PIPELINING")
                    .contains("ENHANCEDSTATUSCODES")
                    .contains("8BITMIME")
                    .contains("SMTPUTF8");
            c.raw(
                    "MAIL FROM:<alice@sender.example>\r\n"
                            + "RCPT TO:<bob@example.com>\r\n"
                            + "RCPT TO:<x@foreign.example>\r\n"
                            + "DATA\r\n");
            c.expect("250 2.1.0");
            c.expect("250 2.1.5");
            c.expect("550 5.7.1");
            c.expect("354 ");
            c.raw(MESSAGE + ".\r\nQUIT\r\n");
            c.expect("250 2.0.0");
            c.expect("221 2.0.0");
        }
        assertThat(nextHop.await(1, 5000)).hasSize(1);
    }

    @Test
    void everyReplyCarriesAnEnhancedCode() throws Exception {
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("XYZZY plugh");
            c.expect("500 5.5.1 ");
            c.send("AB");
            c.expect("500 5.5.2 ");
            c.send("MAIL FROM:<a@b.example>");
            c.expect("503 5.5.1 ");
            c.send("EHLO " + "x".repeat(600));
            c.expect("500 5.5.2 ");
            c.send("VRFY bob");
            c.expect("502 5.5.1 ");
            c.send("NOOP");
            c.expect("250 2.0.0 ");
            c.send("RSET");
            c.expect("250 2.0.0 ");
            c.send("HELO client.example.org");
            c.expect("250 2.0.0 ");
            c.send("DATA");
            c.expect("503 5.5.1 ");
            c.send("RCPT TO:<bob@example.com>");
            c.expect("503 5.5.1 ");
            c.send("STARTTLS");
            c.expect("454 4.7.0 ");
            c.raw("NOOP\nNOOP\r\n");
            c.expect("501 5.5.2 ");
        }
    }

    @Test
    void acceptsChunkedMessagesAndRelaysThemByteForByte() throws Exception {
        byte[] original = MESSAGE.getBytes(StandardCharsets.UTF_8);
        int half = original.length / 2;
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO client.example.org");
            assertThat(c.expect("250 ")).contains("CHUNKING");
            c.raw(
                    "MAIL FROM:<alice@sender.example>\r\nRCPT TO:<bob@example.com>\r\nBDAT "
                            + half
                            + "\r\n");
            c.raw(java.util.Arrays.copyOfRange(original, 0, half));
            c.raw("BDAT " + (original.length - half) + " LAST\r\n");
            c.raw(java.util.Arrays.copyOfRange(original, half, original.length));
            c.expect("250 2.1.0");
            c.expect("250 2.1.5");
            c.expect("250 2.0.0 " + half + " octets received");
            c.expect("250 2.0.0 Ok: delivered");
            // A chunk with a bare LF is read whole, then refused; the session stays in step.
            String bad = "Subject: x\r\n\r\nfake\n.\nMAIL FROM:<evil@attacker.example>\r\n";
            c.raw(
                    "MAIL FROM:<alice@sender.example>\r\nRCPT TO:<bob@example.com>\r\nBDAT "
                            + bad.length()
                            + " LAST\r\n"
                            + bad);
            c.expect("250 ");
            c.expect("250 ");
            c.expect("550 5.6.0 ");
            c.send("BDAT 3 LAST");
            c.raw("abc");
            c.expect("503 5.5.1 ");
            c.send("NOOP");
            c.expect("250 ");
        }
        RecordingNextHop.Delivery d = nextHop.await(1, 5000).get(0);
        byte[] tail =
                java.util.Arrays.copyOfRange(
                        d.data(), d.data().length - original.length, d.data().length);
        assertThat(tail).isEqualTo(original);
        assertThat(nextHop.deliveries()).hasSize(1);
    }

    static String dotStuff(String message) {
        return message.replaceAll("(?m)^\\.", "..");
    }
}
