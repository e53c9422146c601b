package dev.bulwark.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bulwark.testing.PrometheusText;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/** The operations listener over real HTTP on an ephemeral loopback port. */
class OpsServerTest {

    private static final VersionInfo VERSION =
            new VersionInfo("1.2.3", "0123abc", "ab".repeat(32), "unsigned");

    private final AtomicBoolean verified = new AtomicBoolean(true);
    private final AtomicBoolean nextHopUp = new AtomicBoolean(true);
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Metrics metrics;
    private OpsServer server;

    @BeforeEach
    void start() {
        metrics = Metrics.create(VERSION, () -> true);
        Readiness readiness =
                Readiness.of(verified::get, nextHopUp::get, Duration.ZERO, System::nanoTime);
        server =
                OpsServer.start(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        metrics,
                        readiness,
                        VERSION);
    }

    @AfterEach
    void stop() {
        server.close();
        http.close();
    }

    private HttpResponse<String> request(String method, String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + path);
        HttpRequest request =
                HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofSeconds(10))
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesMetricsInThePrometheusTextFormat() throws Exception {
        metrics.opened();

        HttpResponse<String> r = request("GET", "/metrics");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type"))
                .contains("text/plain; version=0.0.4; charset=utf-8");
        assertThat(r.body()).contains("# TYPE bulwark_connections_total counter");
        PrometheusText text = PrometheusText.parse(r.body());
        assertThat(text.value("bulwark_connections_active")).contains(1.0);
        assertThat(
                        text.value(
                                "bulwark_build_info",
                                "version",
                                "1.2.3",
                                "commit",
                                "0123abc",
                                "policy_digest",
                                "ab".repeat(32)))
                .contains(1.0);
    }

    @Test
    void saysHealthyWhileTheProcessServes() throws Exception {
        HttpResponse<String> r = request("GET", "/healthz");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok\n");
    }

    @Test
    void saysReadyOnlyWhenVerifiedAndTheNextHopAnswers() throws Exception {
        assertThat(request("GET", "/readyz"))
                .satisfies(
                        r -> {
                            assertThat(r.statusCode()).isEqualTo(200);
                            assertThat(r.body()).isEqualTo("ready\n");
                        });

        nextHopUp.set(false);
        assertThat(request("GET", "/readyz"))
                .satisfies(
                        r -> {
                            assertThat(r.statusCode()).isEqualTo(503);
                            assertThat(r.body())
                                    .isEqualTo(
                                            "not ready: next hop does not answer with a 220"
                                                    + " banner\n");
                        });

        verified.set(false);
        assertThat(request("GET", "/readyz"))
                .satisfies(
                        r -> {
                            assertThat(r.statusCode()).isEqualTo(503);
                            assertThat(r.body())
                                    .isEqualTo(
                                            "not ready: self-verification against the manifest has"
                                                    + " not passed\n");
                        });
    }

    @Test
    void showsWhatTheNodeRunsAsJson() throws Exception {
        HttpResponse<String> r = request("GET", "/version");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(VersionInfo.parse(r.body())).contains(VERSION);
    }

    @Test
    void answersHeadWithHeadersAndNoBody() throws Exception {
        HttpResponse<String> r = request("HEAD", "/version");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(r.body()).isEmpty();
    }

    @Test
    void refusesMethodsThatAreNotGetOrHead() throws Exception {
        HttpResponse<String> r = request("POST", "/metrics");

        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).contains("GET, HEAD");
    }

    @Test
    void answersUnknownPathsWithNotFound() throws Exception {
        assertThat(request("GET", "/").statusCode()).isEqualTo(404);
        assertThat(request("GET", "/metrics/extra").statusCode()).isEqualTo(404);
        assertThat(request("DELETE", "/admin").statusCode()).isEqualTo(404);
    }

    @Test
    void namesTheSettingWhenTheAddressIsTaken() {
        assertThatThrownBy(
                        () ->
                                OpsServer.start(
                                        server.address(),
                                        metrics,
                                        Readiness.of(() -> true, () -> true),
                                        VERSION))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageStartingWith("metrics.listen: cannot listen on " + server.address());
    }
}
