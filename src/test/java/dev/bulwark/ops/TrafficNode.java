package dev.bulwark.ops;

import dev.bulwark.Node;
import dev.bulwark.audit.AuditSink;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Hit;
import dev.bulwark.check.IntegritySettings;
import dev.bulwark.check.Message;
import dev.bulwark.check.Score;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.dns.RecordedResolver;
import dev.bulwark.flow.Policy;
import dev.bulwark.ratelimit.LimitSpec;
import dev.bulwark.runtime.SelfVerification;
import dev.bulwark.runtime.TestRuntime;
import dev.bulwark.site.SiteSettings;
import dev.bulwark.testing.PrometheusText;
import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.SmtpWire;
import dev.bulwark.testing.TestFilter;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A whole node (the real {@link Node} wiring, operations listener on a loopback port) in front of a
 * recording next hop, with scripted traffic that makes every metric the node exports appear at
 * least once: delivered mail, a rule's refusal, a shadow hit, a relay-domains refusal, a next-hop
 * refusal and a rate-limit refusal. Tests then scrape {@code /metrics} over HTTP as Prometheus
 * would.
 */
final class TrafficNode implements AutoCloseable {

    static final VersionInfo VERSION =
            new VersionInfo("1.2.3", "0123abc", TestFilter.DIGEST, "unsigned");

    /** The sender the next hop refuses at MAIL. */
    private static final String BOUNCED_SENDER = "bounce@sender.example";

    /** The sender whose second transaction exceeds the per-sender rate limit. */
    private static final String LIMITED_SENDER = "limited@sender.example";

    private final RecordingNextHop nextHop;
    private final Node node;
    private final Path runtime;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private int sender;

    private TrafficNode(RecordingNextHop nextHop, Node node, Path runtime) {
        this.nextHop = nextHop;
        this.node = node;
        this.runtime = runtime;
    }

    /**
     * Starts a node; with {@code redisUri} its per-sender limit is fleet-wide (kept in that Redis),
     * otherwise in process.
     */
    static TrafficNode start(Optional<String> redisUri) {
        RecordingNextHop nextHop =
                new RecordingNextHop().refuseSender(BOUNCED_SENDER, "550 5.7.1 Sender refused");
        Map<String, String> site = new HashMap<>();
        site.put("hostname", "ops.bulwark.test");
        site.put("listen", "127.0.0.1:0");
        site.put("next-hop", "127.0.0.1:" + nextHop.port());
        site.put("metrics.listen", "127.0.0.1:0");
        redisUri.ifPresent(
                uri -> {
                    site.put("redis.uri", uri);
                    site.put("redis.timeout", "500");
                });
        LimitSpec perSender =
                new LimitSpec(
                        "ratelimit:per-sender",
                        Stage.MAIL,
                        LimitSpec.Key.SENDER,
                        24,
                        64,
                        1,
                        Duration.ofHours(1),
                        LimitSpec.Cost.COUNT,
                        redisUri.isPresent() ? LimitSpec.Scope.FLEET : LimitSpec.Scope.LOCAL,
                        false);
        TestFilter filter = TestFilter.relayingFor("example.com").atData(TrafficNode::rules);
        Path runtime = null;
        try {
            // A runtime to check, so that the self-verification's metrics are exported too; its
            // periodic passes are never scheduled.
            runtime = Files.createTempDirectory("bulwark-traffic-node");
            Path home = TestRuntime.create(runtime);
            TestRuntime.seal(home, Optional.empty());
            Node node =
                    Node.start(
                            SiteSettings.of(site),
                            new Node.Parts(
                                            Policy.of(filter, List.of(perSender)),
                                            VERSION,
                                            () -> true,
                                            OutputStream.nullOutputStream(),
                                            AuditSink.NONE)
                                    // No DNS on the test machine: every question is NXDOMAIN.
                                    .withDns(RecordedResolver.none())
                                    .withIntegrity(
                                            new Node.Integrity(
                                                    SelfVerification.of(
                                                            home,
                                                            Clock.systemUTC(),
                                                            Long.MAX_VALUE),
                                                    IntegritySettings.DEFAULTS,
                                                    (interval, task) -> () -> {},
                                                    Instant.now())));
            return new TrafficNode(nextHop, node, runtime);
        } catch (IOException e) {
            nextHop.close();
            delete(runtime);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            nextHop.close();
            delete(runtime);
            throw e;
        }
    }

    /** FREE MONEY is refused by rule {@code spam-words}; a PDF is a shadow rule's hit. */
    private static Decision rules(Message m) {
        try (InputStream in = m.open()) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (text.contains("FREE MONEY")) {
                return Decision.of(
                        new Verdict.Reject(Verdict.Reason.POLICY, Optional.empty()),
                        new Hit(
                                "spam-words",
                                Stage.DATA,
                                "body contains FREE MONEY",
                                Score.ZERO,
                                false));
            }
            if (text.contains("invoice.pdf")) {
                return Decision.of(
                        Verdict.CONTINUE,
                        new Hit(
                                "would-hold-pdf",
                                Stage.DATA,
                                "attachment invoice.pdf",
                                Score.ZERO,
                                true));
            }
            return Decision.none();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Each transaction uses a sender of its own, so only {@link #LIMITED_SENDER} hits the limit.
     */
    private String nextSender() {
        return "sender" + ++sender + "@sender.example";
    }

    /**
     * Runs the scripted traffic: afterwards every metric family the node has is in a scrape.
     * Returns the number of SMTP sessions it opened.
     */
    int sendEveryKindOfTraffic() throws IOException {
        deliver(nextSender(), "hello", "Quarterly figures attached.");
        deliver(nextSender(), "scan", "See invoice.pdf attached.");
        try (SmtpWire c = SmtpWire.open(port())) {
            c.envelope(nextSender(), "bob@example.com");
            message(c, "offer", "FREE MONEY for you");
            c.expect("550 ");
            quit(c);
        }
        try (SmtpWire c = SmtpWire.open(port())) {
            c.send("EHLO client.example.org").expect("250 ");
            c.send("MAIL FROM:<" + nextSender() + ">").expect("250 ");
            c.send("RCPT TO:<carol@elsewhere.example>").expect("550 ");
            quit(c);
        }
        try (SmtpWire c = SmtpWire.open(port())) {
            c.send("EHLO client.example.org").expect("250 ");
            c.send("MAIL FROM:<" + BOUNCED_SENDER + ">");
            String mail = c.reply();
            if (mail.startsWith("250")) {
                // The relay forwards MAIL with the first RCPT: the refusal comes back there.
                c.send("RCPT TO:<bob@example.com>").expect("5");
            }
            quit(c);
        }
        deliver(LIMITED_SENDER, "first", "Within the limit.");
        try (SmtpWire c = SmtpWire.open(port())) {
            c.send("EHLO client.example.org").expect("250 ");
            c.send("MAIL FROM:<" + LIMITED_SENDER + ">").expect("4");
            quit(c);
        }
        return 7;
    }

    void deliver(String from, String subject, String body) throws IOException {
        try (SmtpWire c = SmtpWire.open(port())) {
            c.envelope(from, "bob@example.com");
            message(c, subject, body);
            c.expect("250 ");
            quit(c);
        }
    }

    void deliver() throws IOException {
        deliver(nextSender(), "again", "One more.");
    }

    private static void message(SmtpWire c, String subject, String body) throws IOException {
        c.raw(
                "From: alice@sender.example\r\nTo: bob@example.com\r\nSubject: "
                        + subject
                        + "\r\n\r\n"
                        + body
                        + "\r\n.\r\n");
    }

    private static void quit(SmtpWire c) throws IOException {
        c.send("QUIT").expect("221 ");
    }

    int port() {
        return node.smtpPort();
    }

    /** The raw text of {@code GET /metrics}. */
    String scrapeText() {
        try {
            HttpResponse<String> response =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    "http://127.0.0.1:"
                                                            + node.opsAddress()
                                                                    .orElseThrow()
                                                                    .getPort()
                                                            + "/metrics"))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET /metrics: " + response.statusCode());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    PrometheusText scrape() {
        return PrometheusText.parse(scrapeText());
    }

    /**
     * Scrapes until {@code settled} holds (sessions are counted as closed a moment after QUIT), at
     * most 10 s; returns the last scrape either way.
     */
    PrometheusText scrapeUntil(java.util.function.Predicate<PrometheusText> settled) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            PrometheusText text = scrape();
            if (settled.test(text) || System.nanoTime() > deadline) {
                return text;
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public void close() {
        try {
            node.close();
        } finally {
            nextHop.close();
            http.close();
            delete(runtime);
        }
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
