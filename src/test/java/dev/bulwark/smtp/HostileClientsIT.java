package dev.bulwark.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Limits;
import dev.bulwark.flow.Policy;
import dev.bulwark.flow.Resources;
import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.RelayUnderTest;
import dev.bulwark.testing.SmtpWire;
import dev.bulwark.testing.TestFilter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The attacks of issue 11 on the resource model (ADR 0016), each against a real relay and next hop
 * on loopback: clients of several addresses and subnets are played from 127.0.0.0/8.
 */
class HostileClientsIT {

    private RecordingNextHop nextHop;

    @BeforeEach
    void start() {
        nextHop = new RecordingNextHop();
    }

    @AfterEach
    void stop() {
        nextHop.close();
    }

    private RelayUnderTest relay(Limits limits, Resources resources) {
        return new RelayUnderTest(
                Policy.of(TestFilter.relayingFor("example.com").withLimits(limits), List.of()),
                nextHop.port(),
                b -> b.resources(resources));
    }

    private static void send(SmtpWire c, String from) throws IOException {
        c.send("MAIL FROM:<" + from + ">");
        c.expect("250 ");
        c.send("RCPT TO:<bob@example.com>");
        c.expect("250 ");
        c.send("DATA");
        c.expect("354 ");
        c.raw("Subject: hello\r\n\r\nbody\r\n.\r\n");
        c.expect("250 ");
    }

    /**
     * Issue 11: 105 sessions from six addresses that say EHLO, MAIL, RCPT and then nothing held
     * every one of the 100 next-hop connections, and every other sender got 451 4.4.5.
     */
    @Test
    void idleTransactionsOfSixAddressesDoNotLockOtherSendersOut() throws Exception {
        List<SmtpWire> attackers = new ArrayList<>();
        try (RelayUnderTest relay = relay(Limits.defaults(), Resources.defaults())) {
            int opened = 0;
            try {
                for (int i = 0; i < 105; i++) {
                    SmtpWire a = SmtpWire.from("127.0." + (1 + i % 6) + ".1", relay.port());
                    attackers.add(a);
                    a.send("EHLO attacker.example");
                    a.expect("250 ");
                    a.send("MAIL FROM:<x@attacker.example>");
                    String reply = a.reply();
                    if (reply.startsWith("250 ")) {
                        opened++;
                        a.send("RCPT TO:<bob@example.com>");
                        a.expect("250 ");
                    } else {
                        assertThat(reply).startsWith("451 4.7.0 ");
                    }
                    a.send("NOOP");
                    a.expect("250 ");
                }
                assertThat(opened).isEqualTo(6 * Resources.defaults().maxTransactionsPerClient());
                try (SmtpWire c = SmtpWire.from("127.0.9.1", relay.port())) {
                    c.send("EHLO mta.example.org");
                    c.expect("250 ");
                    send(c, "alice@sender.example");
                }
                assertThat(nextHop.deliveries()).hasSize(1);
                assertThat(relay.audit())
                        .anySatisfy(
                                r ->
                                        assertThat(r.rules())
                                                .contains("limit:max-transactions-per-client"));
            } finally {
                for (SmtpWire a : attackers) {
                    a.close();
                }
            }
        }
    }

    @Test
    void oneSubnetHoldsNoMoreTransactionsThanItsCapWhateverItsAddresses() throws Exception {
        List<SmtpWire> clients = new ArrayList<>();
        try (RelayUnderTest relay =
                relay(Limits.defaults(), Resources.defaults().withTransactions(10, 3))) {
            try {
                for (int i = 1; i <= 4; i++) {
                    SmtpWire c = SmtpWire.from("127.0.5." + i, relay.port());
                    clients.add(c);
                    c.send("EHLO host" + i + ".example");
                    c.expect("250 ");
                    c.send("MAIL FROM:<x@sender.example>");
                    c.expect(i <= 3 ? "250 " : "451 4.7.0 ");
                }
                try (SmtpWire other = SmtpWire.from("127.0.6.1", relay.port())) {
                    other.send("EHLO other.example");
                    other.expect("250 ");
                    send(other, "alice@sender.example");
                }
            } finally {
                for (SmtpWire c : clients) {
                    c.close();
                }
            }
            assertThat(relay.audit())
                    .anySatisfy(
                            r ->
                                    assertThat(r.rules())
                                            .contains("limit:max-transactions-per-subnet"));
        }
    }

    @Test
    void sessionsOfOneSubnetAreCappedAcrossItsAddresses() throws Exception {
        List<SmtpWire> clients = new ArrayList<>();
        try (RelayUnderTest relay =
                relay(Limits.defaults(), Resources.defaults().withSessionsPerSubnet(3))) {
            try {
                for (int i = 1; i <= 3; i++) {
                    clients.add(SmtpWire.from("127.0.7." + i, relay.port()));
                }
                try (SmtpWire fourth = new SmtpWire("127.0.0.1", relay.port())) {
                    // 127.0.0.1 is another /24: admitted.
                    fourth.expect("220 ");
                }
                SmtpWire refused = SmtpWire.connectFrom("127.0.7.4", relay.port());
                assertThat(refused.reply()).startsWith("421 4.7.0 ");
                refused.close();
            } finally {
                for (SmtpWire c : clients) {
                    c.close();
                }
            }
            assertThat(relay.audit())
                    .anySatisfy(
                            r ->
                                    assertThat(r.rules())
                                            .contains("limit:max-connections-per-subnet"));
        }
    }

    /** NOOP re-armed the command deadline, so a transaction could sit open for a month. */
    @Test
    void aTransactionThatNeverSendsItsMessageEndsAtItsLifetimeWhateverElseItSends()
            throws Exception {
        try (RelayUnderTest relay =
                relay(
                        Limits.defaults().withSessionCaps(1_000_000, 20),
                        Resources.defaults()
                                .withLifetimes(Duration.ofMillis(500), Duration.ofMinutes(5)))) {
            try (SmtpWire c = SmtpWire.open(relay.port())) {
                c.send("EHLO slow.example");
                c.expect("250 ");
                c.send("MAIL FROM:<x@sender.example>");
                c.expect("250 ");
                c.send("RCPT TO:<bob@example.com>");
                c.expect("250 ");
                String last = keepSending(c, "NOOP", Duration.ofSeconds(20));
                assertThat(last)
                        .isEqualTo("421 4.4.2 Timeout waiting for the message, closing connection");
            }
            assertThat(relay.audit())
                    .singleElement()
                    .satisfies(r -> assertThat(r.verdict()).isEqualTo(AuditVerdict.TEMPFAIL));
            // Its next-hop connection came back: a new session relays at once.
            try (SmtpWire c = SmtpWire.open(relay.port())) {
                c.send("EHLO mta.example.org");
                c.expect("250 ");
                send(c, "alice@sender.example");
            }
        }
    }

    @Test
    void aSessionEndsAtItsLifetimeEvenIfItKeepsWorking() throws Exception {
        try (RelayUnderTest relay =
                        relay(
                                Limits.defaults().withSessionCaps(1_000_000, 20),
                                Resources.defaults()
                                        .withLifetimes(
                                                Duration.ofMinutes(5), Duration.ofMillis(500)));
                SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO busy.example");
            c.expect("250 ");
            String last = keepSending(c, "RSET", Duration.ofSeconds(20));
            assertThat(last).isEqualTo("421 4.4.2 Session lasted too long, closing connection");
        }
    }

    /** The library answered unknown verbs itself, and they counted against nothing. */
    @Test
    void unknownVerbsCountAgainstTheSessionsCommandCap() throws Exception {
        try (RelayUnderTest relay =
                        relay(Limits.defaults().withSessionCaps(5, 1000), Resources.defaults());
                SmtpWire c = SmtpWire.open(relay.port())) {
            for (int i = 0; i < 5; i++) {
                c.send("XYZZY");
                c.expect("500 ");
            }
            c.send("XYZZY");
            c.expect("500 ");
            c.expect("421 4.7.0 ");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void refusesMailWhoseDeclaredSizeWouldExceedTheNodesInFlightBudget() throws Exception {
        try (RelayUnderTest relay =
                        relay(
                                Limits.defaults(),
                                Resources.defaults().withInFlightBytes(10_000_000));
                SmtpWire a = SmtpWire.from("127.0.1.1", relay.port());
                SmtpWire b = SmtpWire.from("127.0.2.1", relay.port())) {
            a.send("EHLO a.example");
            a.expect("250 ");
            b.send("EHLO b.example");
            b.expect("250 ");
            a.send("MAIL FROM:<a@sender.example> SIZE=8000000");
            a.expect("250 ");
            b.send("MAIL FROM:<b@sender.example> SIZE=4000000");
            b.expect("451 4.3.1 ");
            a.send("RSET");
            a.expect("250 ");
            b.send("MAIL FROM:<b@sender.example> SIZE=4000000");
            b.expect("250 ");
            assertThat(relay.audit())
                    .anySatisfy(r -> assertThat(r.rules()).contains("limit:in-flight-bytes"));
        }
    }

    @Test
    void aMessageWithoutSizeThatOutgrowsTheBudgetIsDeferredAndGivesItBack() throws Exception {
        try (RelayUnderTest relay =
                        relay(Limits.defaults(), Resources.defaults().withInFlightBytes(1 << 20));
                SmtpWire c = SmtpWire.open(relay.port())) {
            c.envelope("alice@sender.example", "bob@example.com");
            String line = "x".repeat(78) + "\r\n";
            c.raw("Subject: big\r\n\r\n" + line.repeat(2 * (1 << 20) / line.length()) + ".\r\n");
            c.expect("451 4.3.1 ");
            send(c, "alice@sender.example");
        }
        assertThat(nextHop.deliveries()).hasSize(1);
    }

    /** Sends {@code command} until the server answers anything but 250; returns that answer. */
    private static String keepSending(SmtpWire c, String command, Duration atMost)
            throws IOException {
        long until = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < until) {
            c.send(command);
            String reply = c.reply();
            if (!reply.startsWith("250 ")) {
                return reply;
            }
        }
        return "still open after " + atMost;
    }
}
