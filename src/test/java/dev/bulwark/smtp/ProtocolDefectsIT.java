package dev.bulwark.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Limits;
import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.RelayUnderTest;
import dev.bulwark.testing.SmtpWire;
import dev.bulwark.testing.TestFilter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Protocol defects found by attacking the relay (issue 11), over real SMTP: a client, Bulwark and a
 * recording next hop on loopback.
 */
class ProtocolDefectsIT {

    private static final String MESSAGE = "Subject: hi\r\n\r\nhello\r\n";

    private RecordingNextHop nextHop;
    private RelayUnderTest relay;

    @BeforeEach
    void start() {
        nextHop = new RecordingNextHop();
        relay =
                new RelayUnderTest(
                        TestFilter.relayingFor("example.com")
                                .withLimits(Limits.defaults().withMaxRecipients(3)),
                        nextHop.port());
    }

    @AfterEach
    void stop() {
        relay.close();
        nextHop.close();
    }

    @Test
    void aThreeHundredReplyFromTheNextHopAfterDataIsATemporaryFailure() throws Exception {
        nextHop.refuseData("354 go ahead, again");
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.envelope("alice@sender.example", "bob@example.com");
            c.raw(MESSAGE + ".\r\n");
            c.expect("451 4.");
            c.send("NOOP");
            c.expect("250 ");
        }
        assertThat(relay.audit())
                .singleElement()
                .satisfies(
                        r -> {
                            // As for a next hop that answers 4xx or cannot be reached.
                            assertThat(r.verdict()).isEqualTo(AuditVerdict.DEFER);
                            assertThat(r.reply()).startsWith("451 ");
                            assertThat(r.nextHopReply())
                                    .hasValueSatisfying(v -> assertThat(v).startsWith("354 "));
                        });
        // The next hop's connection is not reused in its unknown state: the next message gets
        // through on a fresh one.
        nextHop.refuseData(null);
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.envelope("alice@sender.example", "bob@example.com");
            c.raw(MESSAGE + ".\r\n");
            c.expect("250 ");
        }
        assertThat(nextHop.await(1, 5000)).hasSize(1);
    }

    @Test
    void recipientsPastTheLimitAre452AndTheAcceptedOnesGetTheMessage() throws Exception {
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO client.example.org");
            c.expect("250 ");
            c.send("MAIL FROM:<alice@sender.example>");
            c.expect("250 ");
            for (int i = 0; i < 40; i++) {
                c.send("RCPT TO:<user" + i + "@example.com>");
                c.expect(i < 3 ? "250 " : "452 4.5.3 ");
            }
            c.send("DATA");
            c.expect("354 ");
            c.raw(MESSAGE + ".\r\n");
            c.expect("250 ");
        }
        assertThat(nextHop.await(1, 5000))
                .singleElement()
                .satisfies(d -> assertThat(d.recipients()).hasSize(3));
    }
}
