package dev.bulwark.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bulwark.site.Cidr;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Issue 11: the operations port answered the world, and its counters tell a spammer which rule
 * fired. It answers only the networks the site names, and only so many at once.
 */
class OpsAccessTest {

    private static final VersionInfo VERSION =
            new VersionInfo("1.2.3", "0123abc", "ab".repeat(32), "unsigned");

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private OpsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        http.close();
    }

    private OpsServer start(OpsServer.Access access, Readiness readiness) {
        server =
                OpsServer.start(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        access,
                        Metrics.create(VERSION, () -> true),
                        readiness,
                        VERSION);
        return server;
    }

    private HttpRequest get(String path) {
        return HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.address().getPort() + path))
                .timeout(Duration.ofSeconds(10))
                .build();
    }

    @Test
    void closesConnectionsFromNetworksTheSiteDoesNotName() {
        start(
                new OpsServer.Access(List.of(Cidr.parse("192.0.2.0/24")), 16),
                Readiness.of(() -> true, () -> true));
        assertThatThrownBy(() -> http.send(get("/metrics"), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class);
    }

    @Test
    void answersTheNetworksTheSiteNames() throws Exception {
        start(
                new OpsServer.Access(List.of(Cidr.parse("127.0.0.0/8")), 16),
                Readiness.of(() -> true, () -> true));
        assertThat(http.send(get("/healthz"), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);
    }

    @Test
    void servesNoMoreRequestsAtOnceThanItsCap() throws Exception {
        CountDownLatch probing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        start(
                new OpsServer.Access(List.of(Cidr.parse("127.0.0.0/8")), 1),
                Readiness.of(
                        () -> true,
                        () -> {
                            probing.countDown();
                            try {
                                return release.await(10, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return false;
                            }
                        },
                        Duration.ZERO,
                        System::nanoTime));
        CompletableFuture<HttpResponse<String>> slow =
                http.sendAsync(get("/readyz"), HttpResponse.BodyHandlers.ofString());
        assertThat(probing.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(http.send(get("/healthz"), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(503);
        release.countDown();
        assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(http.send(get("/healthz"), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);
    }
}
