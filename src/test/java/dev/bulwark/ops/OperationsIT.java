package dev.bulwark.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.audit.AuditFile;
import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.JsonAuditLog;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Hit;
import dev.bulwark.check.Limits;
import dev.bulwark.check.Message;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.testing.PrometheusText;
import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.RelayUnderTest;
import dev.bulwark.testing.SmtpWire;
import dev.bulwark.testing.TestFilter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Scripted SMTP traffic through a real relay and next hop; afterwards the audit file and the
 * scraped metrics must show exactly what happened, no more and no less.
 */
class OperationsIT {

    private static final VersionInfo VERSION =
            new VersionInfo("1.2.3", "0123abc", TestFilter.DIGEST, "unsigned");

    @TempDir Path dir;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A DATA-stage rule: a message that says FREE MONEY is rejected by rule {@code spam-words}. */
    private static Decision spamWords(Message m) {
        try (InputStream in = m.open()) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (text.contains("FREE MONEY")) {
                return Decision.of(
                        new Verdict.Reject(Verdict.Reason.POLICY, Optional.empty()),
                        Hit.of("spam-words", Stage.DATA, "body contains FREE MONEY"));
            }
            return Decision.none();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void send(SmtpWire c, String subject, String body) throws IOException {
        c.raw(
                "From: alice@sender.example\r\nTo: bob@example.com\r\nSubject: "
                        + subject
                        + "\r\nMessage-ID: <"
                        + subject.replace(' ', '-')
                        + "@sender.example>\r\n\r\n"
                        + body
                        + "\r\n.\r\n");
    }

    private HttpResponse<String> get(OpsServer ops, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + ops.address().getPort() + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private PrometheusText scrapeUntil(OpsServer ops, Predicate<PrometheusText> settled)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            PrometheusText text = PrometheusText.parse(get(ops, "/metrics").body());
            if (settled.test(text) || System.nanoTime() > deadline) {
                return text;
            }
            Thread.onSpinWait();
        }
    }

    @Test
    void auditLinesAndMetricsShowExactlyWhatTheTrafficDid() throws Exception {
        Limits twoPerClient =
                new Limits(
                        25L * 1024 * 1024,
                        100,
                        512,
                        998,
                        100 * 1024,
                        Duration.ofMinutes(5),
                        Duration.ofMinutes(10),
                        1000,
                        2,
                        10_000,
                        20);
        TestFilter filter =
                TestFilter.relayingFor("example.com")
                        .withLimits(twoPerClient)
                        .atData(OperationsIT::spamWords);
        Path auditPath = dir.resolve("audit.jsonl");
        RecordingNextHop nextHop =
                new RecordingNextHop()
                        .refuseRecipient("nobody@example.com", "550 5.1.1 No such user here");
        Metrics metrics = Metrics.create(VERSION, () -> true);
        try (AuditFile auditFile = AuditFile.open(auditPath);
                RelayUnderTest relay =
                        new RelayUnderTest(
                                filter,
                                nextHop.port(),
                                s -> s,
                                c -> c,
                                metrics.and(auditFile),
                                metrics);
                OpsServer ops =
                        OpsServer.start(
                                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                                metrics,
                                Readiness.of(
                                        () -> true,
                                        relay.nextHop()::probe,
                                        Duration.ZERO,
                                        System::nanoTime),
                                VERSION)) {

            assertThat(get(ops, "/readyz").statusCode()).isEqualTo(200);

            // 1. Accepted and delivered.
            try (SmtpWire c = SmtpWire.open(relay.port())) {
                c.envelope("alice@sender.example", "bob@example.com");
                send(c, "hello", "Quarterly figures attached.");
                c.expect("250 2.0.0 ");
                c.send("QUIT");
                c.expect("221 ");
            }
            // 2. Rejected by a rule at DATA.
            try (SmtpWire c = SmtpWire.open(relay.port())) {
                c.envelope("alice@sender.example", "bob@example.com");
                send(c, "offer", "FREE MONEY for you");
                c.expect("550 5.7.1 ");
                c.send("QUIT");
                c.expect("221 ");
            }
            // 3. One recipient outside the relay domains is refused; the other gets the message.
            try (SmtpWire c = SmtpWire.open(relay.port())) {
                c.send("EHLO client.example.org");
                c.expect("250 ");
                c.send("MAIL FROM:<alice@sender.example>");
                c.expect("250 ");
                c.send("RCPT TO:<carol@elsewhere.example>");
                c.expect("550 5.7.1 ");
                c.send("RCPT TO:<bob@example.com>");
                c.expect("250 ");
                c.send("DATA");
                c.expect("354 ");
                send(c, "mixed", "One of two.");
                c.expect("250 2.0.0 ");
                c.send("QUIT");
                c.expect("221 ");
            }
            // 4. The next hop does not know the recipient: its refusal is ours, and no rule fired.
            try (SmtpWire c = SmtpWire.open(relay.port())) {
                c.send("EHLO client.example.org");
                c.expect("250 ");
                c.send("MAIL FROM:<alice@sender.example>");
                c.expect("250 ");
                c.send("RCPT TO:<nobody@example.com>");
                c.expect("550 5.1.1 ");
                c.send("QUIT");
                c.expect("221 ");
            }
            // 5. A third concurrent connection from one address hits the per-client limit.
            try (SmtpWire held1 = SmtpWire.open(relay.port());
                    SmtpWire held2 = SmtpWire.open(relay.port());
                    SmtpWire third = new SmtpWire(relay.port())) {
                third.expect("421 4.7.0 ");
                held1.send("QUIT");
                held1.expect("221 ");
                held2.send("QUIT");
                held2.expect("221 ");
            }
            // 6. The next hop goes down: the client is told to retry, and the node is no longer
            // ready.
            nextHop.close();
            try (SmtpWire c = SmtpWire.open(relay.port())) {
                c.send("EHLO client.example.org");
                c.expect("250 ");
                c.send("MAIL FROM:<alice@sender.example>");
                c.expect("451 4.4.1 ");
                c.send("QUIT");
                c.expect("221 ");
            }
            HttpResponse<String> ready = get(ops, "/readyz");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body())
                    .isEqualTo("not ready: next hop does not answer with a 220 banner\n");

            // Sessions end asynchronously after QUIT; wait (bounded) until every one has been
            // counted.
            PrometheusText m =
                    scrapeUntil(
                            ops,
                            t ->
                                    t.value("bulwark_connections_active").orElse(-1.0) == 0.0
                                            && t.value("bulwark_connections_total").orElse(0.0)
                                                    == 7.0);

            assertThat(m.value("bulwark_connections_total")).contains(7.0);
            assertThat(m.value("bulwark_connections_active")).contains(0.0);
            assertThat(m.value("bulwark_connections_refused_total")).contains(1.0);
            assertThat(m.value("bulwark_transactions_total", "verdict", "accept")).contains(2.0);
            assertThat(m.value("bulwark_transactions_total", "verdict", "reject")).contains(2.0);
            assertThat(m.value("bulwark_transactions_total", "verdict", "defer")).contains(1.0);
            assertThat(
                            m.series("bulwark_transactions_total").stream()
                                    .mapToDouble(PrometheusText.Sample::value)
                                    .sum())
                    .isEqualTo(5.0);
            assertThat(m.series("bulwark_refusals_total"))
                    .extracting(
                            s ->
                                    s.labels().get("rule")
                                            + " "
                                            + s.labels().get("code")
                                            + " "
                                            + s.value())
                    .containsExactlyInAnyOrder(
                            "spam-words 550 1.0",
                            "relay-domains 550 1.0",
                            "none 550 1.0",
                            "limit:max-connections-per-client 421 1.0",
                            "none 451 1.0");
            assertThat(m.series("bulwark_rate_limit_refusals_total"))
                    .extracting(s -> s.labels().get("limit") + " " + s.value())
                    .containsExactly("limit:max-connections-per-client 1.0");
            assertThat(m.value("bulwark_next_hop_latency_seconds_count")).contains(2.0);
            assertThat(m.series("bulwark_next_hop_errors_total"))
                    .extracting(
                            s ->
                                    s.labels().get("stage")
                                            + " "
                                            + s.labels().get("kind")
                                            + " "
                                            + s.value())
                    .containsExactly("mail unreachable 1.0");
            assertThat(
                            m.value(
                                    "bulwark_build_info",
                                    "version",
                                    "1.2.3",
                                    "commit",
                                    "0123abc",
                                    "policy_digest",
                                    TestFilter.DIGEST))
                    .contains(1.0);

            // The audit file holds exactly one line per transaction and per refused connection, in
            // order.
            List<String> lines = Files.readAllLines(auditPath);
            assertThat(lines)
                    .containsExactlyElementsOf(
                            relay.audit().stream().map(JsonAuditLog::format).toList());
            assertThat(relay.audit())
                    .extracting(r -> r.kind().key() + " " + r.verdict() + " " + r.rules())
                    .containsExactly(
                            "transaction accept []",
                            "transaction reject [spam-words]",
                            "transaction accept [relay-domains]",
                            "transaction reject []",
                            "connection defer [limit:max-connections-per-client]",
                            "transaction defer []");
            AuditRecord accepted = relay.audit().get(0);
            assertThat(accepted.messageId()).contains("<hello@sender.example>");
            assertThat(accepted.policy().hex()).isEqualTo(TestFilter.DIGEST);
            assertThat(accepted.nextHop())
                    .hasValueSatisfying(
                            h -> {
                                assertThat(h.stage()).isEqualTo(Stage.DATA);
                                assertThat(h.code()).isEqualTo(250);
                                assertThat(h.answered()).isTrue();
                                assertThat(h.delivery()).isPresent();
                            });
            assertThat(lines.get(1))
                    .contains(
                            "\"verdict\":\"reject\"",
                            "\"rules\":[\"spam-words\"]",
                            "\"reply\":\"550 5.7.1 Message refused\"",
                            "\"next_hop\":null");
            assertThat(lines.get(2))
                    .contains(
                            "{\"address\":\"carol@elsewhere.example\",\"accepted\":false,\"reply\":\"550"
                                + " 5.7.1 Relaying denied\",\"rules\":[\"relay-domains\"]}");
            assertThat(lines.get(3))
                    .contains(
                            "{\"address\":\"nobody@example.com\",\"accepted\":false,\"reply\":\"550"
                                    + " 5.1.1 Recipient address rejected by the"
                                    + " destination\",\"rules\":[]}");
            assertThat(lines.get(5))
                    .contains(
                            "\"next_hop\":{\"stage\":\"mail\",\"code\":451,\"answered\":false,"
                                    + "\"delivery_ms\":null}");
            // Never a message body.
            assertThat(String.join("\n", lines))
                    .doesNotContain("Quarterly figures", "FREE MONEY", "One of two");
        } finally {
            nextHop.close();
            http.close();
        }
    }
}
