package dev.bulwark.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;

import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Limits;
import dev.bulwark.testing.RelayUnderTest;
import dev.bulwark.testing.SmtpWire;
import dev.bulwark.testing.TestFilter;

import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Many clients at once, each relayed in-line to GreenMail. */
class ConcurrencyIT {

    @RegisterExtension
    static GreenMailExtension greenMail =
            new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

    @Test
    void deliversEveryMessageOfTwoHundredConcurrentSessions() throws Exception {
        int sessions = 200;
        TestFilter filter =
                TestFilter.relayingFor("example.com")
                        .withLimits(Limits.defaults().withConnections(1000, 500));
        // At most 50 connections to the next hop: the other sessions wait for a free one at MAIL.
        try (RelayUnderTest relay =
                        new RelayUnderTest(
                                dev.bulwark.flow.Policy.of(filter, List.of()),
                                greenMail.getSmtp().getPort(),
                                hop -> hop.withPool(50, java.time.Duration.ofSeconds(10), 50),
                                // Every client here is 127.0.0.1: lift the site's caps per address
                                // and subnet (ADR 0016), as the policy's are lifted above.
                                b ->
                                        b.resources(
                                                dev.bulwark.flow.Resources.defaults()
                                                        .withSessionsPerSubnet(1000)
                                                        .withTransactions(500, 500)));
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> replies = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                int n = i;
                Callable<String> client =
                        () -> {
                            try (SmtpWire c = SmtpWire.open(relay.port())) {
                                c.envelope(
                                        "sender" + n + "@sender.example",
                                        "user" + n + "@example.com");
                                c.raw(
                                        "Subject: concurrent "
                                                + n
                                                + "\r\nMessage-ID: <m"
                                                + n
                                                + "@sender.example>\r\n\r\nbody "
                                                + n
                                                + "\r\n.\r\n");
                                String reply = c.expect("250 ");
                                c.send("QUIT");
                                c.expect("221 ");
                                return reply;
                            }
                        };
                replies.add(clients.submit(client));
            }
            for (Future<String> f : replies) {
                try {
                    assertThat(f.get(60, TimeUnit.SECONDS)).startsWith("250 2.0.0");
                } catch (java.util.concurrent.ExecutionException e) {
                    dumpThreads(relay);
                    throw e;
                }
            }
            assertThat(greenMail.waitForIncomingEmail(30_000, sessions)).isTrue();
            MimeMessage[] received = greenMail.getReceivedMessages();
            assertThat(received).hasSize(sessions);
            Set<String> subjects = new HashSet<>();
            for (MimeMessage m : received) {
                subjects.add(m.getSubject());
            }
            assertThat(subjects).hasSize(sessions);
            assertThat(relay.audit())
                    .hasSize(sessions)
                    .allSatisfy(a -> assertThat(a.verdict()).isEqualTo(AuditVerdict.ACCEPT));
        }
    }

    /**
     * When a session hangs, show where everything is (virtual threads included): a failure here
     * should explain itself.
     */
    private static void dumpThreads(RelayUnderTest relay) {
        System.err.println("relay audit records so far: " + relay.audit().size());
        try {
            java.nio.file.Path dump =
                    java.nio.file.Files.createTempFile("concurrency-threads-", ".txt");
            java.nio.file.Files.delete(dump);
            java.lang.management.ManagementFactory.getPlatformMXBean(
                            com.sun.management.HotSpotDiagnosticMXBean.class)
                    .dumpThreads(
                            dump.toString(),
                            com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
            System.err.println(java.nio.file.Files.readString(dump));
        } catch (java.io.IOException e) {
            System.err.println("no thread dump: " + e);
        }
    }
}
