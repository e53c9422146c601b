package dev.bulwark.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Connection;
import dev.bulwark.check.Limits;
import dev.bulwark.flow.Flow;
import dev.bulwark.flow.InMemoryNextHop;
import dev.bulwark.flow.Policy;
import dev.bulwark.ops.ConnectionListener;
import dev.bulwark.testing.TestFilter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;

/**
 * The session layer's command state machine over a fake wire (byte arrays, no sockets), with the
 * real transaction flow behind it and an in-memory next hop.
 */
class SmtpSessionTest {

    private final List<AuditRecord> audit = new CopyOnWriteArrayList<>();
    private volatile java.util.function.Consumer<AuditRecord> auditHook = r -> {};
    private final InMemoryNextHop nextHop = new InMemoryNextHop();
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private Deadlines deadlines;
    private SmtpService service;

    private SmtpSession open(FakeWire wire, Limits limits, SmtpSettings settings) {
        return open(wire, limits, settings, Runnable::run);
    }

    /** A session whose deadline expiries are handed to {@code handOff}. */
    private SmtpSession open(Wire wire, Limits limits, SmtpSettings settings, Executor handOff) {
        Flow flow =
                Flow.builder(
                                Policy.of(
                                        TestFilter.relayingFor("example.com").withLimits(limits),
                                        List.of()),
                                nextHop)
                        .audit(
                                r -> {
                                    auditHook.accept(r);
                                    audit.add(r);
                                })
                        .hostname("relay.test")
                        .nanoTime(nanos::get)
                        .build();
        deadlines = new Deadlines(Duration.ofSeconds(10), nanos::get, handOff);
        service = new SmtpService(flow, settings, deadlines, ConnectionListener.NONE);
        return another(wire, "s1");
    }

    /** Another session on the same service (and deadlines) as the last {@link #open}. */
    private SmtpSession another(Wire wire, String id) {
        Connection connection =
                new Connection(id, InetAddress.ofLiteral("192.0.2.7"), Optional.empty());
        return ((SmtpService.Opened.Admitted) service.open(connection, wire)).session();
    }

    private SmtpSession open(FakeWire wire) {
        return open(wire, Limits.defaults(), plain());
    }

    private static SmtpSettings plain() {
        return SmtpSettings.of(new InetSocketAddress("127.0.0.1", 0));
    }

    private static SmtpSettings withTls() throws NoSuchAlgorithmException {
        return plain().withTls(SSLContext.getDefault());
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
    void ehloAdvertisesTheExtensionsAndStartTlsOnlyWhenItCanBeUsed() throws Exception {
        FakeWire plain = new FakeWire();
        open(plain).command("EHLO client.example");
        assertThat(plain.last())
                .isEqualTo(
                        "250-relay.test\r\n250-PIPELINING\r\n250-SIZE 26214400\r\n250-8BITMIME\r\n"
                                + "250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250 CHUNKING");
        FakeWire tls = new FakeWire();
        open(tls, Limits.defaults(), withTls()).command("EHLO client.example");
        assertThat(tls.last()).contains("250-STARTTLS\r\n");
    }

    @Test
    void sequenceErrorsSayWhatIsMissing() throws Exception {
        FakeWire wire = new FakeWire();
        SmtpSession s = open(wire);
        s.command("MAIL FROM:<alice@sender.example>");
        assertThat(wire.last()).isEqualTo("503 5.5.1 Send EHLO or HELO first");
        s.command("HELO client.example");
        assertThat(wire.last()).isEqualTo("250 2.0.0 relay.test");
        s.command("RCPT TO:<bob@example.com>");
        assertThat(wire.last()).isEqualTo("503 5.5.1 Need MAIL command first");
        s.command("MAIL FROM:<alice@sender.example>");
        s.command("MAIL FROM:<alice@sender.example>");
        assertThat(wire.last()).isEqualTo("503 5.5.1 Nested MAIL command");
        s.command("DATA");
        assertThat(wire.last()).isEqualTo("503 5.5.1 Need RCPT command first");
        s.command("RCPT TO:<bob@elsewhere.example>");
        assertThat(wire.last()).isEqualTo("550 5.7.1 Relaying denied");
        s.command("DATA");
        assertThat(wire.last()).isEqualTo("554 5.5.1 No valid recipients");
    }

    @Test
    void dataIsReadUpToItsEndMarkerAndPipelinedCommandsStayUnread() throws Exception {
        FakeWire wire = new FakeWire("Subject: hi\r\n\r\nhello\r\n..dot\r\n.\r\nQUIT\r\n");
        SmtpSession s = open(wire);
        envelope(s);
        s.command("DATA");
        assertThat(wire.sent()).contains("354 End data with <CR><LF>.<CR><LF>");
        assertThat(wire.last()).isEqualTo("250 2.0.0 Ok: delivered as s1.1");
        assertThat(wire.rest()).isEqualTo("QUIT\r\n");
        assertThat(delivered(0))
                .startsWith("Received: from client.example ([192.0.2.7])\r\n")
                .contains("X-Bulwark: verdict=accept; score=0; policy=" + TestFilter.DIGEST)
                .endsWith("Subject: hi\r\n\r\nhello\r\n.dot\r\n");
        assertThat(audit).singleElement().satisfies(r -> assertThat(r.size()).isEqualTo(28));
    }

    @Test
    void aBareLineFeedRefusesTheWholeMessageAndIsAudited() throws Exception {
        FakeWire wire = new FakeWire("Subject: x\n\nhi\r\n.\r\nNOOP\r\n");
        SmtpSession s = open(wire);
        envelope(s);
        s.command("DATA");
        assertThat(wire.last()).startsWith("550 5.6.0 ");
        assertThat(wire.rest()).isEqualTo("NOOP\r\n");
        assertThat(nextHop.deliveries()).isEmpty();
        assertThat(audit)
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.verdict()).isEqualTo(AuditVerdict.REJECT);
                            assertThat(r.rules()).containsExactly("protocol:bare-line-ending");
                        });
    }

    @Test
    void tooManyErrorsCloseTheSession() throws Exception {
        FakeWire wire = new FakeWire();
        SmtpSession s = open(wire, Limits.defaults().withSessionCaps(100, 3), plain());
        s.command("RCPT TO:<a@example.com>");
        s.command("DATA");
        assertThat(wire.closed()).isFalse();
        s.command("VRFY bob");
        assertThat(wire.last()).isEqualTo("421 4.7.0 Too many errors, closing connection");
        assertThat(wire.closed()).isTrue();
    }

    @Test
    void tooManyCommandsCloseTheSession() throws Exception {
        FakeWire wire = new FakeWire();
        SmtpSession s = open(wire, Limits.defaults().withSessionCaps(3, 20), plain());
        for (int i = 0; i < 3; i++) {
            s.command("NOOP");
        }
        assertThat(wire.closed()).isFalse();
        s.command("NOOP");
        assertThat(wire.last()).isEqualTo("421 4.7.0 Too many commands, closing connection");
        assertThat(wire.closed()).isTrue();
    }

    @Test
    void anOverlongCommandLineIsRefused() throws Exception {
        FakeWire wire = new FakeWire();
        SmtpSession s = open(wire);
        s.command("EHLO " + "a".repeat(600));
        assertThat(wire.last()).isEqualTo("500 5.5.2 Line too long");
    }

    @Test
    void mailParametersAreCheckedBeforeTheFlowIsAsked() throws Exception {
        FakeWire wire = new FakeWire();
        SmtpSession s = open(wire);
        s.command("EHLO client.example");
        s.command("MAIL FROM:<alice@sender.example> SIZE=many");
        assertThat(wire.last()).isEqualTo("501 5.5.4 Syntax: MAIL FROM:<address> [parameters]");
        s.command("MAIL FROM:<alice@sender.example> RET=FULL");
        assertThat(wire.last()).isEqualTo("555 5.5.4 Unsupported MAIL or RCPT parameter");
        s.command("MAIL FROM:<alice@sender.example> SIZE=999999999999");
        assertThat(wire.last()).isEqualTo("552 5.3.4 Message size exceeds fixed limit");
        s.command("MAIL FROM:<alice@sender.example> BODY=8BITMIME SMTPUTF8");
        assertThat(wire.last()).isEqualTo("250 2.1.0 Sender ok");
        s.command("RCPT TO:<bob@example.com> NOTIFY=NEVER");
        assertThat(wire.last()).isEqualTo("555 5.5.4 Unsupported MAIL or RCPT parameter");
        assertThat(audit).isEmpty();
    }

    @Test
    void chunksAreAcknowledgedAndTheLastOneGetsTheVerdict() throws Exception {
        FakeWire wire = new FakeWire("Subject: c\r\n\r\npart two\r\n");
        SmtpSession s = open(wire);
        envelope(s);
        s.command("BDAT 14");
        assertThat(wire.last()).isEqualTo("250 2.0.0 14 octets received");
        s.command("DATA");
        assertThat(wire.last()).isEqualTo("503 5.5.1 DATA cannot follow BDAT in one transaction");
        s.command("BDAT 10 LAST");
        assertThat(wire.last()).isEqualTo("250 2.0.0 Ok: delivered as s1.1");
        assertThat(delivered(0)).endsWith("\r\nSubject: c\r\n\r\npart two\r\n");
    }

    @Test
    void aBdatWithoutASizeClosesTheSession() throws Exception {
        FakeWire wire = new FakeWire();
        SmtpSession s = open(wire);
        envelope(s);
        s.command("BDAT LAST");
        assertThat(wire.last()).isEqualTo("501 5.5.4 Syntax: BDAT size [LAST], closing connection");
        assertThat(wire.closed()).isTrue();
    }

    @Test
    void startTlsDropsPipelinedCommandsAndRequiresANewGreeting() throws Exception {
        FakeWire wire = new FakeWire("MAIL FROM:<injected@evil.example>\r\n");
        SmtpSession s = open(wire, Limits.defaults(), withTls());
        s.command("EHLO client.example");
        s.command("STARTTLS");
        assertThat(wire.last()).isEqualTo("220 2.0.0 Ready to start TLS");
        assertThat(wire.rest()).isEmpty();
        assertThat(wire.isTls()).isTrue();
        s.command("MAIL FROM:<alice@sender.example>");
        assertThat(wire.last()).isEqualTo("503 5.5.1 Send EHLO or HELO first");
        s.command("EHLO client.example");
        assertThat(wire.last()).doesNotContain("STARTTLS");
        s.command("STARTTLS");
        assertThat(wire.last()).isEqualTo("503 5.5.1 TLS already active");
    }

    @Test
    void aCommandDeadlineClosesWith421AndAuditsTheOpenTransactionOnce() throws Exception {
        FakeWire wire = new FakeWire();
        SmtpSession s = open(wire, Limits.defaults(), plain());
        envelope(s);
        nanos.addAndGet(Limits.defaults().commandTimeout().toNanos() - 1);
        deadlines.sweep();
        assertThat(wire.closed()).isFalse();
        nanos.addAndGet(2);
        deadlines.sweep();
        assertThat(wire.last())
                .isEqualTo("421 4.4.2 Timeout waiting for command, closing connection");
        assertThat(wire.closed()).isTrue();
        service.closed(s);
        assertThat(audit)
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.verdict()).isEqualTo(AuditVerdict.TEMPFAIL);
                            assertThat(r.reply()).startsWith("421 4.4.2 ");
                        });
    }

    /**
     * Issue 11: the sweep wrote the 421 itself, so a client that never reads blocked the timer's
     * only thread and no deadline fired on the node any more.
     */
    @Test
    void aClientThatNeverReadsDoesNotStopOtherSessionsDeadlines() throws Exception {
        List<Thread> handedOff = new CopyOnWriteArrayList<>();
        Limits limits =
                Limits.defaults().withTimeouts(Duration.ofSeconds(1), Duration.ofMinutes(1));
        StuckWire stuck = new StuckWire();
        SmtpSession deaf =
                open(stuck, limits, plain(), r -> handedOff.add(Thread.ofVirtual().start(r)));
        FakeWire patient = new FakeWire();
        SmtpSession other = another(patient, "s2");
        deaf.command("EHLO deaf.example");
        other.command("EHLO patient.example");
        stuck.stopReading();
        nanos.addAndGet(limits.commandTimeout().toNanos() + 1);
        Thread sweeping = Thread.ofVirtual().start(deadlines::sweep);
        assertThat(sweeping.join(Duration.ofSeconds(10))).as("the sweep returned").isTrue();
        // The deaf client's 421 is stuck in its write; past the write deadline the timer cuts
        // the connection, again without blocking.
        assertThat(stuck.writing.await(10, TimeUnit.SECONDS)).isTrue();
        nanos.addAndGet(limits.commandTimeout().toNanos() + 1);
        deadlines.sweep();
        for (Thread t : handedOff) {
            assertThat(t.join(Duration.ofSeconds(10))).isTrue();
        }
        assertThat(patient.last())
                .isEqualTo("421 4.4.2 Timeout waiting for command, closing connection");
        assertThat(patient.closed()).isTrue();
        assertThat(stuck.aborted.getCount()).isZero();
    }

    /**
     * Issue 11: the timer could expire a transaction while the session thread delivered it: the
     * next hop had the message, the client was told 421 (and sent it again) and the audit said
     * tempfail. Whoever claims the session first now owns the outcome.
     */
    @Test
    void theTimerNeverExpiresATransactionTheSessionThreadIsDelivering() throws Exception {
        CountDownLatch recording = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Limits limits =
                Limits.defaults().withTimeouts(Duration.ofMinutes(1), Duration.ofSeconds(1));
        Thread[] timer = new Thread[1];
        // The last octets of the message arrive exactly as the DATA deadline passes: the timer
        // runs then, and is held inside its audit record while the session thread goes on.
        InputStream message =
                new java.io.FilterInputStream(
                        new java.io.ByteArrayInputStream(
                                "Subject: race\r\n\r\nbody\r\n.\r\n"
                                        .getBytes(StandardCharsets.UTF_8))) {
                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        int n = super.read(b, off, len);
                        if (n > 0 && in.available() == 0 && timer[0] == null) {
                            nanos.addAndGet(limits.dataTimeout().toNanos() + 1);
                            timer[0] = Thread.ofVirtual().start(deadlines::sweep);
                            try {
                                recording.await(10, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                throw new IOException(e);
                            }
                        }
                        return n;
                    }
                };
        FakeWire wire = new FakeWire(message);
        SmtpSession s = open(wire, limits, plain());
        audit.clear();
        auditHook =
                r -> {
                    if (r.verdict() == AuditVerdict.TEMPFAIL) {
                        recording.countDown();
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                };
        envelope(s);
        s.command("DATA");
        release.countDown();
        assertThat(timer[0].join(Duration.ofSeconds(10))).isTrue();
        assertThat(nextHop.deliveries()).as("nothing delivered behind a 421").isEmpty();
        assertThat(wire.sent()).noneMatch(r -> r.startsWith("250 2.0.0 Ok"));
        assertThat(wire.last()).startsWith("421 4.4.2 ");
        assertThat(audit)
                .singleElement()
                .satisfies(r -> assertThat(r.verdict()).isEqualTo(AuditVerdict.TEMPFAIL));
    }

    /** A client that stopped reading: a write blocks until the connection is aborted. */
    private static final class StuckWire implements Wire {
        private volatile boolean deaf;
        final CountDownLatch writing = new CountDownLatch(1);
        final CountDownLatch aborted = new CountDownLatch(1);

        void stopReading() {
            deaf = true;
        }

        @Override
        public void send(String reply) throws IOException {
            if (deaf) {
                writing.countDown();
                try {
                    aborted.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("connection aborted");
            }
        }

        @Override
        public InputStream input() {
            return InputStream.nullInputStream();
        }

        @Override
        public void startTls(SSLContext context) {}

        @Override
        public boolean isTls() {
            return false;
        }

        @Override
        public Optional<String> tlsDescription() {
            return Optional.empty();
        }

        @Override
        public void close() {}

        @Override
        public void abort() {
            aborted.countDown();
        }
    }

    @Test
    void quitAfterEveryRecipientWasRefusedAuditsARejection() throws Exception {
        FakeWire wire = new FakeWire();
        SmtpSession s = open(wire);
        s.command("EHLO client.example");
        s.command("MAIL FROM:<alice@sender.example>");
        s.command("RCPT TO:<bob@elsewhere.example>");
        s.command("QUIT");
        assertThat(wire.last()).isEqualTo("221 2.0.0 Bye");
        assertThat(wire.closed()).isTrue();
        service.closed(s);
        assertThat(audit)
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.verdict()).isEqualTo(AuditVerdict.REJECT);
                            assertThat(r.rules()).containsExactly("relay-domains");
                            assertThat(r.recipients())
                                    .singleElement()
                                    .satisfies(o -> assertThat(o.accepted()).isFalse());
                        });
    }

    @Test
    void aSessionThatEndsInTheMiddleOfATransactionIsAuditedAsAborted() throws Exception {
        FakeWire wire = new FakeWire();
        SmtpSession s = open(wire);
        envelope(s);
        service.closed(s);
        assertThat(audit)
                .singleElement()
                .satisfies(r -> assertThat(r.verdict()).isEqualTo(AuditVerdict.ABORTED));
        assertThat(service.activeConnections()).isZero();
    }
}
