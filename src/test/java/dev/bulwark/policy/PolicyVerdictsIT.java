package dev.bulwark.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetupTest;

import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.testing.RelayUnderTest;
import dev.bulwark.testing.SmtpWire;

import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Every verdict of the repository's policy, over SMTP, with GreenMail as the next hop. */
class PolicyVerdictsIT {

    @RegisterExtension
    static GreenMailExtension greenMail =
            new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

    private static final Path MESSAGES = Path.of("policy/tests/messages");

    private CompiledPolicy policy;
    private RelayUnderTest relay;

    @BeforeEach
    void start() throws Exception {
        policy = CompiledPolicy.compile(Path.of("policy"));
        relay = new RelayUnderTest(policy, greenMail.getSmtp().getPort());
    }

    @AfterEach
    void stop() {
        relay.close();
    }

    /**
     * Sends a message file (LF or CRLF, an mbox From line dropped, as the gate reads it) and
     * returns the reply to the final dot.
     */
    private String send(String file, String... recipients) throws Exception {
        String text =
                new String(
                                Cases.asReceived(Files.readAllBytes(MESSAGES.resolve(file))),
                                StandardCharsets.UTF_8)
                        .replaceAll("(?m)^\\.", "..");
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO mail.example.org");
            c.expect("250 ");
            c.send("MAIL FROM:<alice@example.org>");
            c.expect("250 ");
            for (String r : recipients) {
                c.send("RCPT TO:<" + r + ">");
                c.expect("250 ");
            }
            c.send("DATA");
            c.expect("354 ");
            c.raw(text + (text.endsWith("\r\n") ? "" : "\r\n") + ".\r\n");
            return c.reply();
        }
    }

    @Test
    void acceptsAnOrdinaryMessageStampedWithThePolicyDigest() throws Exception {
        assertThat(send("plain.eml", "bob@example.com")).startsWith("250 2.0.0");
        assertThat(greenMail.waitForIncomingEmail(5000, 1)).isTrue();
        MimeMessage m = greenMail.getReceivedMessagesForDomain("example.com")[0];
        assertThat(m.getHeader("X-Bulwark")[0])
                .startsWith("verdict=accept;")
                .contains("policy=" + policy.digest());
        assertThat(m.getSubject()).isEqualTo("Minutes of the Tuesday meeting");
    }

    @Test
    void tagsASalesPitchWithTheSubjectPrefixAndHeaders() throws Exception {
        assertThat(send("adv-offer.eml", "bob@example.com")).startsWith("250 2.0.0");
        assertThat(greenMail.waitForIncomingEmail(5000, 1)).isTrue();
        MimeMessage m = greenMail.getReceivedMessages()[0];
        assertThat(m.getSubject()).startsWith("[SPAM] ADV:");
        assertThat(m.getHeader("X-Spam-Flag")[0]).isEqualTo("YES");
        assertThat(m.getHeader("X-Bulwark")[0]).startsWith("verdict=tag;");
    }

    @Test
    void quarantinesSpamTheClassifierIsSureOfToTheQuarantineMailboxOnly() throws Exception {
        // a real spam whose only rule is money-claims: the classifier's score quarantines it
        assertThat(
                        send(
                                "corpus/spam-1/00138.c15973a4d40bed4333079296be2522ca.txt",
                                "bob@example.com"))
                .startsWith("250 2.0.0");
        assertThat(greenMail.waitForIncomingEmail(5000, 1)).isTrue();
        MimeMessage[] received = greenMail.getReceivedMessages();
        assertThat(received).hasSize(1);
        assertThat(GreenMailUtil.getWholeMessage(received[0]))
                .contains("X-Bulwark-Recipients: bob@example.com");
        assertThat(received[0].getHeader("X-Bulwark")[0])
                .startsWith("verdict=quarantine;")
                .containsPattern("; classifier=(0\\.99[0-9]{2}|1\\.0000); ");
        assertThat(relay.audit())
                .singleElement()
                .satisfies(
                        a -> {
                            assertThat(a.rules())
                                    .contains("classifier-sure-spam", "threshold:quarantine");
                            assertThat(a.classifier().getAsDouble()).isGreaterThan(0.99);
                        });
    }

    @Test
    void rejectsGtubeAndDeliversNothing() throws Exception {
        assertThat(send("gtube.eml", "bob@example.com")).startsWith("550 5.7.1 ");
        assertThat(greenMail.getReceivedMessages()).isEmpty();
        assertThat(relay.audit())
                .singleElement()
                .satisfies(
                        a -> {
                            assertThat(a.verdict()).isEqualTo(AuditVerdict.REJECT);
                            assertThat(a.rules()).containsExactly("gtube");
                            assertThat(a.policy().hex()).isEqualTo(policy.digest());
                        });
    }

    @Test
    void discardsMailToASpamtrapSilently() throws Exception {
        assertThat(send("plain.eml", "bob@example.com", "trap@example.com"))
                .startsWith("250 2.0.0");
        assertThat(greenMail.getReceivedMessages()).isEmpty();
        assertThat(relay.audit())
                .singleElement()
                .satisfies(
                        a -> {
                            assertThat(a.verdict()).isEqualTo(AuditVerdict.DISCARD);
                            assertThat(a.rules()).contains("spamtrap");
                        });
    }

    @Test
    void refusesABlockedSenderAtMail() throws Exception {
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO mail.example.org");
            c.expect("250 ");
            c.send("MAIL FROM:<offers@promo.example>");
            c.expect("550 5.7.1 ");
        }
    }

    @Test
    void defersAndRecordsShadowRulesAsThePolicySays(@TempDir Path dir) throws Exception {
        relay.close();
        Files.createDirectories(dir.resolve("lists"));
        Files.writeString(dir.resolve("lists/relay-domains.txt"), "example.com\n");
        Files.writeString(
                dir.resolve("inbound.yaml"),
                """
                language: 1
                relay-domains: relay-domains
                rules:
                  data:
                    - id: watch-invoices
                      when: {subject-contains: "invoice"}
                      action: reject
                      shadow: true
                    - id: greylist-newsletters
                      when: {header-present: List-Unsubscribe}
                      action: defer
                      reply: "Busy, try again later"
                """);
        CompiledPolicy small = CompiledPolicy.compile(dir);
        relay = new RelayUnderTest(small, greenMail.getSmtp().getPort());
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.envelope("alice@example.org", "bob@example.com");
            c.raw(
                    "Subject: invoice 42\r\n"
                            + "List-Unsubscribe: <mailto:u@example.org>\r\n\r\n"
                            + "hi\r\n"
                            + ".\r\n");
            assertThat(c.expect("451 4.7.1 ")).contains("Busy, try again later");
            c.send("MAIL FROM:<alice@example.org>");
            c.expect("250 ");
            c.send("RCPT TO:<bob@example.com>");
            c.expect("250 ");
            c.send("DATA");
            c.expect("354 ");
            c.raw("Subject: invoice 43\r\n\r\nhi\r\n.\r\n");
            c.expect("250 2.0.0");
        }
        assertThat(relay.audit()).hasSize(2);
        assertThat(relay.audit().get(0).verdict()).isEqualTo(AuditVerdict.DEFER);
        assertThat(relay.audit().get(1).verdict()).isEqualTo(AuditVerdict.ACCEPT);
        assertThat(relay.audit().get(1).shadowRules()).containsExactly("watch-invoices");
        assertThat(greenMail.waitForIncomingEmail(5000, 1)).isTrue();
    }
}
