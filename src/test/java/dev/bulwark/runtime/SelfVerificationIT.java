package dev.bulwark.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.Node;
import dev.bulwark.audit.AuditSink;
import dev.bulwark.audit.ChainVerifier;
import dev.bulwark.check.IntegritySettings;
import dev.bulwark.flow.Policy;
import dev.bulwark.ops.Scheduler;
import dev.bulwark.ops.VersionInfo;
import dev.bulwark.site.SiteSettings;
import dev.bulwark.testing.PrometheusText;
import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.SmtpWire;
import dev.bulwark.testing.TestFilter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A node serving from a runtime notices a byte changed in one of its files: on the next periodic
 * pass (run by hand here) and on {@code POST /verify}; readiness names the file, the metric drops,
 * the audit chain records it, and mail is refused or not as the policy says.
 */
class SelfVerificationIT {

    private static final VersionInfo VERSION =
            new VersionInfo("1.2.3", "0123abc", TestFilter.DIGEST, "unsigned");

    @TempDir Path dir;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ByteArrayOutputStream journal = new ByteArrayOutputStream();
    private final List<Runnable> scheduled = new ArrayList<>();
    private final List<Duration> intervals = new ArrayList<>();
    private RecordingNextHop nextHop;
    private Node node;

    /** Takes the periodic task instead of running it: the test runs a pass when it says so. */
    private final Scheduler manual =
            (interval, task) -> {
                intervals.add(interval);
                scheduled.add(task);
                return () -> scheduled.remove(task);
            };

    private Path start(IntegritySettings.OnMismatch onMismatch) throws Exception {
        Path home = TestRuntime.create(dir);
        TestRuntime.seal(home, Optional.empty());
        nextHop = new RecordingNextHop();
        SiteSettings site =
                SiteSettings.of(
                        Map.of(
                                "hostname", "mx.bulwark.test",
                                "listen", "127.0.0.1:0",
                                "next-hop", "127.0.0.1:" + nextHop.port(),
                                "metrics.listen", "127.0.0.1:0",
                                "audit.file", dir.resolve("audit.jsonl").toString()));
        node =
                Node.start(
                        site,
                        new Node.Parts(
                                        Policy.of(TestFilter.relayingFor("example.com"), List.of()),
                                        VERSION,
                                        () -> true,
                                        journal,
                                        AuditSink.NONE)
                                .withIntegrity(
                                        new Node.Integrity(
                                                SelfVerification.of(
                                                        home, Clock.systemUTC(), Long.MAX_VALUE),
                                                new IntegritySettings(
                                                        Duration.ofMinutes(2), onMismatch),
                                                manual,
                                                Instant.now())));
        return home;
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
        if (nextHop != null) {
            nextHop.close();
        }
    }

    private HttpResponse<String> call(String method, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(
                                URI.create(
                                        "http://127.0.0.1:"
                                                + node.opsAddress().orElseThrow().getPort()
                                                + path))
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private double metric(String name) throws Exception {
        return PrometheusText.parse(call("GET", "/metrics").body()).value(name).orElseThrow();
    }

    private List<String> journalLines() {
        return journal.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void aChangedByteFailsReadinessNamingTheFileAndRefusesNewSessions() throws Exception {
        Path home = start(IntegritySettings.OnMismatch.REFUSE_MAIL);
        assertThat(intervals).containsExactly(Duration.ofMinutes(2));
        scheduled.getFirst().run();
        assertThat(call("GET", "/readyz").statusCode()).isEqualTo(200);
        assertThat(metric("bulwark_runtime_integrity_ok")).isEqualTo(1.0);
        try (SmtpWire c = new SmtpWire(node.smtpPort())) {
            c.expect("220 ");
        }

        TestRuntime.flipByte(home.resolve("app/bulwark-1.2.3.jar"), 100);
        scheduled.getFirst().run();

        HttpResponse<String> ready = call("GET", "/readyz");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body())
                .startsWith(
                        "not ready: a runtime file differs from the manifest:"
                                + " app/bulwark-1.2.3.jar: SHA-256 ");
        assertThat(metric("bulwark_runtime_integrity_ok")).isEqualTo(0.0);
        assertThat(metric("bulwark_runtime_integrity_passes")).isEqualTo(2.0);
        try (SmtpWire c = new SmtpWire(node.smtpPort())) {
            assertThat(c.expect("421 4.3.0 "))
                    .isEqualTo(
                            "421 4.3.0 Service not available: this server failed its self-check,"
                                    + " try again later");
        }
        HttpResponse<String> verify = call("POST", "/verify");
        assertThat(verify.statusCode()).isEqualTo(503);
        assertThat(verify.body()).startsWith("mismatch: app/bulwark-1.2.3.jar: SHA-256 ");
        assertThat(call("GET", "/verify").statusCode()).isEqualTo(405);

        List<String> lines = journalLines();
        assertThat(lines.get(0)).contains("\"kind\":\"genesis\"").contains("\"manifest\":\"");
        assertThat(lines)
                .filteredOn(l -> l.contains("\"kind\":\"integrity\""))
                .extracting(l -> l.contains("\"result\":\"mismatch\""))
                .containsExactly(false, true, true);
        assertThat(lines)
                .filteredOn(l -> l.contains("\"kind\":\"connection\""))
                .singleElement()
                .asString()
                .contains("\"rules\":[\"runtime-integrity\"]", "421 4.3.0");
    }

    @Test
    void withReportMailFlowsOnWhileReadinessFails() throws Exception {
        Path home = start(IntegritySettings.OnMismatch.REPORT);
        Files.writeString(home.resolve("lib/extra"), "dropped in");

        HttpResponse<String> verify = call("POST", "/verify");
        assertThat(verify.statusCode()).isEqualTo(503);
        assertThat(verify.body()).isEqualTo("mismatch: lib/extra: not in the manifest\n");
        assertThat(call("GET", "/readyz").body()).contains("lib/extra: not in the manifest");
        try (SmtpWire c = new SmtpWire(node.smtpPort())) {
            c.expect("220 ");
        }
    }

    @Test
    void theChainHeadOnVersionIsTheLastAuditLineAndTheFileVerifies() throws Exception {
        start(IntegritySettings.OnMismatch.REFUSE_MAIL);
        assertThat(call("POST", "/verify").body())
                .isEqualTo("verified: every runtime file matches\n");
        Files.move(dir.resolve("audit.jsonl"), dir.resolve("audit.jsonl.1"));
        assertThat(call("POST", "/audit/reopen").statusCode()).isEqualTo(200);
        assertThat(call("POST", "/verify").statusCode()).isEqualTo(200);

        List<String> lines = journalLines();
        String version = call("GET", "/version").body();
        String last = lines.getLast();
        String head =
                HexFormat.of()
                        .formatHex(
                                MessageDigest.getInstance("SHA-256")
                                        .digest(last.getBytes(StandardCharsets.UTF_8)));
        assertThat(version)
                .contains("\"audit_chain_records\":" + lines.size())
                .contains("\"audit_chain_head\":\"" + head + "\"");
        assertThat(
                        PrometheusText.parse(call("GET", "/metrics").body())
                                .value("bulwark_audit_chain_head_info", "head", head))
                .hasValue(1.0);
        assertThat(metric("bulwark_audit_chain_records")).isEqualTo((double) lines.size());

        // The rotated file and the new one are one chain, line for line the journal's.
        assertThat(Files.readAllLines(dir.resolve("audit.jsonl.1"))).hasSize(2);
        assertThat(
                        ChainVerifier.verify(
                                        List.of(
                                                dir.resolve("audit.jsonl.1"),
                                                dir.resolve("audit.jsonl")),
                                        Optional.of(head))
                                .ok())
                .isTrue();
    }
}
