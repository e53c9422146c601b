package dev.bulwark.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.bulwark.site.Cidr;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * The operations listener (site setting {@code metrics.listen}), separate from SMTP:
 *
 * <ul>
 *   <li>{@code GET /metrics}: the Prometheus text format;
 *   <li>{@code GET /healthz}: 200 {@code ok} while the process serves requests;
 *   <li>{@code GET /readyz}: 200 {@code ready} when self-verification passed and the next hop
 *       answers, otherwise 503 with the reason;
 *   <li>{@code GET /version}: what the node runs, as JSON ({@link VersionInfo#toJson()}), with the
 *       audit chain's head when the node has one;
 *   <li>{@code POST /verify}: checks the runtime against its manifest now (a pass of the
 *       self-verification); 200 when every file matches, 503 naming the first that does not;
 *   <li>{@code POST /audit/reopen}: reopens the audit file after a rotation renamed it; the chain
 *       continues in the new file.
 * </ul>
 *
 * The reporting paths take GET and HEAD, the two actions POST only; any other method gets 405, any
 * other path 404. The actions change no filtering and lose nothing: a pass is paced and joined by
 * concurrent callers, a reopen only starts a new file. Each request runs on its own virtual thread.
 *
 * <p>The counters say which rules fire and how often, which a spammer tuning mail against the node
 * would like to know: the listener answers only the networks the site names ({@code metrics.allow},
 * loopback by default; the image's firewall is built from the same setting) and closes any other
 * connection without a byte; at most {@code metrics.max-connections} requests are served at once,
 * the others get 503.
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
        return start(listen, Access.loopback(), metrics, readiness, version);
    }

    /**
     * What the listener shows and does beside metrics and readiness.
     *
     * @param versionJson the {@code /version} document, asked for on every request
     * @param verify a pass of the self-verification, for {@code POST /verify}: ready when every
     *     file matched, otherwise the first difference
     * @param reopenAudit reopens the audit destinations, for {@code POST /audit/reopen}
     */
    public record Controls(
            Supplier<String> versionJson,
            Optional<Supplier<Readiness.Status>> verify,
            Optional<Runnable> reopenAudit) {

        public Controls {
            Objects.requireNonNull(versionJson, "versionJson");
            Objects.requireNonNull(verify, "verify");
            Objects.requireNonNull(reopenAudit, "reopenAudit");
        }

        /** {@code version} as it is, no actions. */
        public static Controls of(VersionInfo version) {
            String json = version.toJson();
            return new Controls(() -> json, Optional.empty(), Optional.empty());
        }
    }

    /** Who may use the listener, and how many at once. */
    public record Access(List<Cidr> allow, int maxConnections) {
        public Access {
            allow = List.copyOf(allow);
            if (maxConnections < 1) {
                throw new IllegalArgumentException(
                        maxConnections + " is not a valid maxConnections: it must be positive");
            }
        }

        /** This host only, 16 at once. */
        public static Access loopback() {
            return new Access(List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1")), 16);
        }

        boolean allows(InetAddress client) {
            return allow.stream().anyMatch(c -> c.contains(client));
        }
    }

    /** As above, answering only {@code access}. */
    public static OpsServer start(
            InetSocketAddress listen,
            Access access,
            Metrics metrics,
            Readiness readiness,
            VersionInfo version) {
        return start(listen, access, metrics, readiness, Controls.of(version));
    }

    /** As above, with {@code /version} and the actions from {@code controls}. */
    public static OpsServer start(
            InetSocketAddress listen,
            Access access,
            Metrics metrics,
            Readiness readiness,
            Controls controls) {
        HttpServer server;
        try {
            server = HttpServer.create(listen, 64);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "metrics.listen: cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        ExecutorService executor =
                Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ops-", 0).factory());
        Semaphore serving = new Semaphore(access.maxConnections());
        server.createContext(
                "/",
                exchange -> {
                    InetAddress client = exchange.getRemoteAddress().getAddress();
                    if (!access.allows(client)) {
                        log.info("ops: refused a connection from {}", client.getHostAddress());
                        exchange.close();
                        return;
                    }
                    if (!serving.tryAcquire()) {
                        try (exchange) {
                            respond(exchange, 503, TEXT, "busy\n");
                        } catch (IOException e) {
                            log.debug("ops: busy reply failed: {}", e.getMessage());
                        }
                        return;
                    }
                    try (exchange) {
                        handle(exchange, metrics, readiness, controls);
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
                    } finally {
                        serving.release();
                    }
                });
        server.setExecutor(executor);
        server.start();
        return new OpsServer(server, executor);
    }

    private static void handle(
            HttpExchange exchange, Metrics metrics, Readiness readiness, Controls controls)
            throws IOException {
        String path = exchange.getRequestURI().getPath();
        boolean action =
                (path.equals("/verify") && controls.verify().isPresent())
                        || (path.equals("/audit/reopen") && controls.reopenAudit().isPresent());
        boolean known =
                switch (path) {
                    case "/metrics", "/healthz", "/readyz", "/version" -> true;
                    default -> action;
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
        if (action) {
            if (!method.equals("POST")) {
                exchange.getResponseHeaders().set("Allow", "POST");
                respond(exchange, 405, TEXT, "method " + method + " not allowed; use POST\n");
                return;
            }
            if (path.equals("/verify")) {
                Readiness.Status s = controls.verify().get().get();
                if (s.ready()) {
                    respond(exchange, 200, TEXT, "verified: every runtime file matches\n");
                } else {
                    respond(
                            exchange,
                            503,
                            TEXT,
                            "mismatch: " + s.problem().orElse("unknown") + "\n");
                }
            } else {
                controls.reopenAudit().get().run();
                respond(exchange, 200, TEXT, "reopened\n");
            }
            return;
        }
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
            default -> respond(exchange, 200, JSON, controls.versionJson().get() + "\n");
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
