package dev.bulwark.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.check.Limits;
import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.RelayUnderTest;
import dev.bulwark.testing.SmtpWire;
import dev.bulwark.testing.TestFilter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

/** Session limits the server library does not enforce by itself: deadlines, caps, line lengths. */
class LimitsIT {

    private RecordingNextHop nextHop;

    @BeforeEach
    void start() {
        nextHop = new RecordingNextHop();
    }

    @AfterEach
    void stop() {
        nextHop.close();
    }

    private RelayUnderTest relay(Limits limits) {
        return new RelayUnderTest(
                TestFilter.relayingFor("example.com").withLimits(limits), nextHop.port());
    }

    @Test
    void closesASessionThatDoesNotCompleteACommandInTime() throws Exception {
        try (RelayUnderTest relay =
                        relay(
                                Limits.defaults()
                                        .withTimeouts(
                                                Duration.ofMillis(300), Duration.ofSeconds(5)));
                SmtpWire c = SmtpWire.open(relay.port())) {
            c.raw("EHLO slow"); // no CRLF: a command that never ends
            c.expect("421 4.4.2 ");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void closesASessionWhoseDataPhaseOutlivesItsDeadlineEvenIfBytesKeepComing() throws Exception {
        try (RelayUnderTest relay =
                        relay(
                                Limits.defaults()
                                        .withTimeouts(
                                                Duration.ofSeconds(5), Duration.ofMillis(500)));
                SmtpWire c = SmtpWire.open(relay.port())) {
            c.envelope("alice@sender.example", "bob@example.com");
            c.raw("Subject: trickle\r\n\r\n");
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            String reply = null;
            // Trickle a line at a time until the server gives up; bounded by the test's own
            // deadline.
            while (System.nanoTime() < until) {
                try {
                    c.raw("x\r\n");
                } catch (java.io.IOException closed) {
                    break;
                }
                if (relay.audit().size() > 0) {
                    break;
                }
                Thread.onSpinWait();
            }
            reply = c.reply();
            assertThat(reply).startsWith("421 4.4.2 ");
        }
        assertThat(nextHop.deliveries()).isEmpty();
    }

    @Test
    void refusesConnectionsOverThePerClientCapWithAnEnhancedCode() throws Exception {
        try (RelayUnderTest relay = relay(Limits.defaults().withConnections(100, 2));
                SmtpWire a = SmtpWire.open(relay.port());
                SmtpWire b = SmtpWire.open(relay.port());
                SmtpWire c = new SmtpWire(relay.port())) {
            c.expect("421 4.7.0 ");
            a.send("QUIT");
            a.expect("221 ");
            assertThat(relay.audit())
                    .anySatisfy(
                            r ->
                                    assertThat(r.rules())
                                            .contains("limit:max-connections-per-client"));
        }
    }

    @Test
    void refusesConnectionsOverTheTotalCap() throws Exception {
        try (RelayUnderTest relay = relay(Limits.defaults().withConnections(1, 1));
                SmtpWire a = SmtpWire.open(relay.port());
                SmtpWire b = new SmtpWire(relay.port())) {
            b.expect("421 4.7.0 ");
        }
    }

    @Test
    void closesASessionAfterTooManyErrors() throws Exception {
        try (RelayUnderTest relay = relay(Limits.defaults().withSessionCaps(1000, 3));
                SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("MAIL FROM:<a@b.example>");
            c.expect("503 ");
            c.send("MAIL FROM:<a@b.example>");
            c.expect("503 ");
            c.send("MAIL FROM:<a@b.example>");
            c.expect("503 ");
            c.expect("421 4.7.0 ");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void closesASessionAfterTooManyCommands() throws Exception {
        try (RelayUnderTest relay = relay(Limits.defaults().withSessionCaps(3, 20));
                SmtpWire c = SmtpWire.open(relay.port())) {
            for (int i = 0; i < 3; i++) {
                c.send("NOOP");
                c.expect("250 ");
            }
            c.send("NOOP");
            c.expect("421 4.7.0 ");
        }
    }

    @Test
    void refusesOverlongDataLinesAndOversizeHeaders() throws Exception {
        try (RelayUnderTest relay = relay(Limits.defaults().withLines(512, 100, 200));
                SmtpWire c = SmtpWire.open(relay.port())) {
            c.envelope("alice@sender.example", "bob@example.com");
            c.raw("Subject: long\r\n\r\n" + "y".repeat(101) + "\r\n.\r\n");
            c.expect("550 5.6.0 ");
            c.send("MAIL FROM:<alice@sender.example>");
            c.expect("250 ");
            c.send("RCPT TO:<bob@example.com>");
            c.expect("250 ");
            c.send("DATA");
            c.expect("354 ");
            c.raw(("X-Filler: " + "z".repeat(60) + "\r\n").repeat(5) + "\r\nbody\r\n.\r\n");
            c.expect("552 5.3.4 ");
        }
        assertThat(nextHop.deliveries()).isEmpty();
    }
}
