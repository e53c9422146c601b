package dev.bulwark.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The operations listener (site setting {@code metrics.listen}), separate from SMTP:
 *
 * <ul>
 *   <li>{@code GET /metrics}: the Prometheus text format;
 *   <li>{@code GET /healthz}: 200 {@code ok} while the process serves requests;
 *   <li>{@code GET /readyz}: 200 {@code ready} when self-verification passed and the next hop
 *       answers, otherwise 503 with the reason;
 *   <li>{@code GET /version}: what the node runs, as JSON ({@link VersionInfo#toJson()}).
 * </ul>
 *
 * Only GET and HEAD; any other method gets 405, any other path 404. Nothing here changes state.
 * Each request runs on its own virtual thread.
 */
public final class OpsServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OpsServer.class);

    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String JSON = "application/json";

    private final HttpServer server;
    private final ExecutorService executor;

    private OpsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds {@code listen} (port 0 picks a free port) and starts serving; returns once bound.
     *
     * @throws UncheckedIOException naming the address and the site setting when it cannot bind
     */
    public static OpsServer start(
            InetSocketAddress listen, Metrics metrics, Readiness readiness, VersionInfo version) {
        HttpServer server;
        try {
            server = HttpServer.create(listen, 64);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "metrics.listen: cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        ExecutorService executor =
                Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ops-", 0).factory());
        byte[] versionJson = (version.toJson() + "\n").getBytes(StandardCharsets.UTF_8);
        server.createContext(
                "/",
                exchange -> {
                    try (exchange) {
                        handle(exchange, metrics, readiness, versionJson);
                    } catch (IOException e) {
                        // The scraper went away mid-response; nothing to repair.
                        log.debug(
                                "ops request {} {} failed: {}",
                                exchange.getRequestMethod(),
                                exchange.getRequestURI(),
                                e.getMessage());
                    } catch (RuntimeException e) {
                        // Closing the exchange without a complete response tells the client it
                        // failed.
                        log.error(
                                "ops request {} {} failed",
                                exchange.getRequestMethod(),
                                exchange.getRequestURI(),
                                e);
                    }
                });
        server.setExecutor(executor);
        server.start();
        return new OpsServer(server, executor);
    }

    private static void handle(
            HttpExchange exchange, Metrics metrics, Readiness readiness, byte[] versionJson)
            throws IOException {
        String path = exchange.getRequestURI().getPath();
        boolean known =
                switch (path) {
                    case "/metrics", "/healthz", "/readyz", "/version" -> true;
                    default -> false;
                };
        if (!known) {
            respond(
                    exchange,
                    404,
                    TEXT,
                    "not found; try /metrics, /healthz, /readyz or /version\n");
            return;
        }
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            respond(exchange, 405, TEXT, "method " + method + " not allowed; use GET or HEAD\n");
            return;
        }
        switch (path) {
            case "/metrics" -> {
                ByteArrayOutputStream body = new ByteArrayOutputStream(16384);
                metrics.scrape(body);
                respond(exchange, 200, Metrics.CONTENT_TYPE, body.toByteArray());
            }
            case "/healthz" -> respond(exchange, 200, TEXT, "ok\n");
            case "/readyz" -> {
                Readiness.Status status = readiness.check();
                if (status.ready()) {
                    respond(exchange, 200, TEXT, "ready\n");
                } else {
                    respond(
                            exchange,
                            503,
                            TEXT,
                            "not ready: " + status.problem().orElse("unknown") + "\n");
                }
            }
            default -> respond(exchange, 200, JSON, versionJson);
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body)
            throws IOException {
        respond(exchange, status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void respond(HttpExchange exchange, int status, String contentType, byte[] body)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if (exchange.getRequestMethod().equals("HEAD")) {
            // The JDK server sends no body for HEAD and warns if given a length; -1 says "none".
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** The address actually bound (the port is real even when port 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops accepting, lets running requests finish for up to a second, then stops. */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
    }
}
