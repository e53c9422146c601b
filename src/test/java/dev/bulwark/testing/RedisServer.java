package dev.bulwark.testing;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} process of the test's own, on a loopback port: no persistence, no
 * system service. Started by {@link #start()}, stopped (by its own PID) with {@link #stop()} or
 * {@link #kill()}, and started again on the same port with {@link #restart()}.
 */
public final class RedisServer implements AutoCloseable {

    private static final Duration START_DEADLINE = Duration.ofSeconds(20);

    private final String executable;
    private int port;
    private Process process;
    private final List<String> extraArgs;
    private final List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());

    /**
     * Servers still running when the test JVM exits (a failed or interrupted run) are stopped too.
     */
    private static final java.util.Set<Process> RUNNING =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly)));
    }

    private final boolean tls;

    private RedisServer(String executable, List<String> extraArgs) {
        this(executable, extraArgs, false);
    }

    private RedisServer(String executable, List<String> extraArgs, boolean tls) {
        this.executable = executable;
        this.extraArgs = List.copyOf(extraArgs);
        this.tls = tls;
    }

    /** Starts a server that speaks only TLS, with the given PEM certificate and key. */
    public static RedisServer startTls(Path certificate, Path key) {
        RedisServer server =
                new RedisServer(
                        executable(),
                        List.of(
                                "--tls-cert-file",
                                certificate.toString(),
                                "--tls-key-file",
                                key.toString(),
                                "--tls-ca-cert-file",
                                certificate.toString(),
                                "--tls-auth-clients",
                                "no"),
                        true);
        server.port = freePort();
        server.launch();
        return server;
    }

    /** Starts a server on a free loopback port. */
    public static RedisServer start(String... extraArgs) {
        RedisServer server = new RedisServer(executable(), List.of(extraArgs));
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            server.port = freePort();
            try {
                server.launch();
                return server;
            } catch (IllegalStateException e) {
                last = e; // most likely another process took the port between probe and bind
            }
        }
        throw last;
    }

    /** A loopback port with nothing listening (for "Redis is down" cases). */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free loopback port", e);
        }
    }

    /** Starts a server on a given port, e.g. one a limiter was already told about. */
    public static RedisServer startOn(int port, String... extraArgs) {
        RedisServer server = new RedisServer(executable(), List.of(extraArgs));
        server.port = port;
        server.launch();
        return server;
    }

    private static String executable() {
        String configured = System.getProperty("bulwark.test.redisServer");
        if (configured != null) {
            return configured;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path candidate = Path.of(dir, "redis-server");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        for (String dir : List.of("/usr/bin", "/usr/local/bin", "/usr/sbin")) {
            Path candidate = Path.of(dir, "redis-server");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException(
                "redis-server is not installed: apt-get install -y redis-server "
                        + "(or set -Dbulwark.test.redisServer=/path/to/redis-server)");
    }

    private void launch() {
        List<String> command =
                new ArrayList<>(
                        List.of(
                                executable,
                                "--bind",
                                "127.0.0.1",
                                "--save",
                                "",
                                "--appendonly",
                                "no",
                                "--daemonize",
                                "no",
                                "--logfile",
                                "",
                                "--protected-mode",
                                "yes"));
        command.addAll(
                tls
                        ? List.of("--port", "0", "--tls-port", String.valueOf(port))
                        : List.of("--port", String.valueOf(port)));
        command.addAll(extraArgs);
        output.clear();
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            RUNNING.add(process);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + command, e);
        }
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Process p = process;
        Thread reader =
                Thread.ofVirtual()
                        .start(
                                () -> {
                                    try (BufferedReader in =
                                            new BufferedReader(
                                                    new InputStreamReader(
                                                            p.getInputStream(),
                                                            StandardCharsets.UTF_8))) {
                                        String line;
                                        while ((line = in.readLine()) != null) {
                                            output.add(line);
                                            lines.add(line);
                                        }
                                    } catch (IOException e) {
                                        // The process went away; its exit is noticed below.
                                    }
                                    lines.add("<eof>");
                                });
        long deadline = System.nanoTime() + START_DEADLINE.toNanos();
        try {
            while (true) {
                String line =
                        lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    p.destroyForcibly();
                    throw new IllegalStateException(
                            "redis-server on port "
                                    + port
                                    + " not ready within "
                                    + START_DEADLINE
                                    + ": "
                                    + output);
                }
                if (line.equals("<eof>")) {
                    p.destroyForcibly();
                    throw new IllegalStateException(
                            "redis-server on port " + port + " exited: " + output);
                }
                if (line.contains("Ready to accept connections")) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("interrupted", e);
        } catch (RuntimeException e) {
            p.destroyForcibly();
            throw e;
        }
        if (tls) {
            return; // the log line is the readiness signal; the raw client below speaks plain RESP
            // only
        }
        String pong;
        try {
            pong = command("PING");
        } catch (IllegalStateException e) {
            end(true);
            throw e;
        }
        if (!pong.equals("PONG")
                && !pong.startsWith("ERR:NOAUTH")) { // a password-protected server answers too
            end(true);
            throw new IllegalStateException(
                    "redis-server on port " + port + " answered PING with " + pong);
        }
        reader.setName("redis-" + port + "-output");
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Stops the server cleanly (SIGTERM) and waits for it to exit. */
    public void stop() {
        end(false);
    }

    /** Kills the server (SIGKILL), as a crash would. */
    public void kill() {
        end(true);
    }

    private void end(boolean forcibly) {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        if (forcibly) {
            p.destroyForcibly();
        } else {
            p.destroy();
        }
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!p.isAlive()) {
            RUNNING.remove(p);
        }
    }

    /** Starts the server again on the same port, empty (nothing is persisted). */
    public void restart() {
        end(false);
        launch();
    }

    /**
     * Sends one command over a fresh connection and returns the reply as text (arrays joined by
     * newlines).
     */
    public String command(String... args) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
            socket.setSoTimeout(10_000);
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.UTF_8));
            for (String arg : args) {
                byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
                request.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.UTF_8));
                request.writeBytes(bytes);
                request.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
            }
            OutputStream out = socket.getOutputStream();
            out.write(request.toByteArray());
            out.flush();
            return reply(socket.getInputStream());
        } catch (IOException e) {
            throw new IllegalStateException(
                    "redis on port " + port + ": " + String.join(" ", args), e);
        }
    }

    private static String reply(InputStream in) throws IOException {
        String line = line(in);
        char type = line.charAt(0);
        String rest = line.substring(1);
        switch (type) {
            case '+', ':' -> {
                return rest;
            }
            case '-' -> {
                return "ERR:" + rest;
            }
            case '$' -> {
                int n = Integer.parseInt(rest);
                if (n < 0) {
                    return "(nil)";
                }
                byte[] data = in.readNBytes(n + 2);
                return new String(data, 0, n, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int n = Integer.parseInt(rest);
                List<String> items = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    items.add(reply(in));
                }
                return String.join("\n", items);
            }
            default -> throw new IOException("unexpected reply " + line);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\r') {
                in.read(); // '\n'
                return sb.toString();
            }
            sb.append((char) c);
        }
        throw new IOException("connection closed");
    }

    @Override
    public void close() {
        end(false);
    }
}
