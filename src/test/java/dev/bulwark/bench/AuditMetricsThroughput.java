package dev.bulwark.bench;

import dev.bulwark.audit.AuditFile;
import dev.bulwark.audit.AuditSink;
import dev.bulwark.audit.JsonAuditLog;
import dev.bulwark.flow.Flow;
import dev.bulwark.flow.Policy;
import dev.bulwark.ops.ConnectionListener;
import dev.bulwark.ops.Metrics;
import dev.bulwark.ops.VersionInfo;
import dev.bulwark.relay.NextHop;
import dev.bulwark.relay.NextHopConfig;
import dev.bulwark.smtp.SmtpSettings;
import dev.bulwark.smtp.adapter.SmtpServer;
import dev.bulwark.testing.PrometheusText;
import dev.bulwark.testing.TestFilter;

import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.server.SMTPServer;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Relay throughput with the audit log (to files) and metrics on, beside both off, in one JVM run.
 * Starts a fresh relay per measured round against a next hop that reads and discards each message,
 * and drives it with {@code concurrency} clients on loopback, each sending {@code
 * messagesPerConnection} messages per SMTP connection. Rounds alternate off/on so drift in the
 * machine's load hits both alike. Prints one row per round and the medians.
 *
 * <p>Arguments: {@code messages concurrency messagesPerConnection rounds bodyBytes} (all optional).
 * Run with {@code src/bench/audit-metrics-throughput.sh}.
 */
public final class AuditMetricsThroughput {

    private AuditMetricsThroughput() {}

    private static final VersionInfo VERSION =
            new VersionInfo("bench", "bench", TestFilter.DIGEST, "unsigned");

    public static void main(String[] args) throws Exception {
        int messages = arg(args, 0, 20_000);
        int concurrency = arg(args, 1, 16);
        int perConnection = arg(args, 2, 10);
        int rounds = arg(args, 3, 3);
        int bodyBytes = arg(args, 4, 2048);
        byte[] message = message(bodyBytes);
        Path dir = Files.createTempDirectory("bulwark-bench");
        System.out.printf(
                Locale.ROOT,
                "messages=%d concurrency=%d messages/connection=%d body=%d B rounds=%d cores=%d%n",
                messages,
                concurrency,
                perConnection,
                bodyBytes,
                rounds,
                Runtime.getRuntime().availableProcessors());
        try (DiscardingNextHop nextHop = new DiscardingNextHop()) {
            // Warm-up: JIT both paths before anything is measured.
            run(false, 0, nextHop, dir, messages / 4, concurrency, perConnection, message);
            run(true, 0, nextHop, dir, messages / 4, concurrency, perConnection, message);
            System.out.printf(
                    "%-6s %-5s %9s %8s %9s %12s%n",
                    "mode", "round", "messages", "seconds", "msgs/s", "cpu µs/msg");
            List<double[]> off = new ArrayList<>();
            List<double[]> on = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                for (boolean withOps : new boolean[] {false, true}) {
                    double[] result =
                            run(
                                    withOps,
                                    round,
                                    nextHop,
                                    dir,
                                    messages,
                                    concurrency,
                                    perConnection,
                                    message);
                    (withOps ? on : off).add(result);
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "median msgs/s:     off %.0f, on %.0f (%+.1f%%)%n",
                    median(off, 0),
                    median(on, 0),
                    (median(on, 0) / median(off, 0) - 1) * 100);
            System.out.printf(
                    Locale.ROOT,
                    "median cpu µs/msg: off %.0f, on %.0f (%+.1f%%)%n",
                    median(off, 1),
                    median(on, 1),
                    (median(on, 1) / median(off, 1) - 1) * 100);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    /**
     * One relay, one batch; {@code round} 0 is the unreported warm-up. Returns messages per second
     * and the process's CPU time per message in microseconds (client, relay and next hop together:
     * only the difference between the modes is Bulwark's audit and metrics work).
     */
    private static double[] run(
            boolean withOps,
            int round,
            DiscardingNextHop nextHopServer,
            Path dir,
            int messages,
            int concurrency,
            int perConnection,
            byte[] message)
            throws Exception {
        AuditSink audit = AuditSink.NONE;
        ConnectionListener connections = ConnectionListener.NONE;
        Metrics metrics = null;
        AuditFile file = null;
        OutputStream journal = null;
        if (withOps) {
            metrics = Metrics.create(VERSION, () -> true);
            file = AuditFile.open(dir.resolve("audit-" + round + ".jsonl"));
            // A file stands in for standard output (the journal): a second JSON line per record,
            // flushed.
            journal = Files.newOutputStream(dir.resolve("stdout-" + round + ".jsonl"));
            audit = new JsonAuditLog(new BufferedOutputStream(journal)).and(file).and(metrics);
            connections = metrics;
        }
        NextHop nextHop =
                new NextHop(
                        NextHopConfig.of("127.0.0.1", nextHopServer.port(), "relay.bench")
                                .withPool(
                                        concurrency * 2, Duration.ofSeconds(30), concurrency * 2));
        Flow flow =
                Flow.builder(Policy.of(TestFilter.relayingFor("example.com"), List.of()), nextHop)
                        .audit(audit)
                        .clock(Clock.systemUTC())
                        .hostname("relay.bench")
                        .build();
        SmtpServer relay =
                SmtpServer.start(
                        SmtpSettings.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                        flow,
                        connections);
        long before = nextHopServer.received();
        double rate;
        double cpuMicros;
        try {
            AtomicInteger remaining = new AtomicInteger(messages);
            long startCpu = cpuNanos();
            long start = System.nanoTime();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<Void>> done = new ArrayList<>();
                for (int i = 0; i < concurrency; i++) {
                    done.add(
                            clients.submit(
                                    () -> {
                                        client(relay.port(), remaining, perConnection, message);
                                        return null;
                                    }));
                }
                for (Future<Void> f : done) {
                    f.get();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            cpuMicros = (cpuNanos() - startCpu) / 1e3 / messages;
            long delivered = nextHopServer.received() - before;
            if (delivered != messages) {
                throw new IllegalStateException(
                        "the next hop received " + delivered + " of " + messages + " messages");
            }
            rate = messages / seconds;
            if (metrics != null) {
                double accepted =
                        PrometheusText.parse(metrics.scrape())
                                .value("bulwark_transactions_total", "verdict", "accept")
                                .orElse(0.0);
                if (accepted != messages) {
                    throw new IllegalStateException(
                            "metrics counted " + accepted + " of " + messages + " messages");
                }
            }
            if (round > 0) {
                System.out.printf(
                        Locale.ROOT,
                        "%-6s %-5d %9d %8.2f %9.0f %12.0f%n",
                        withOps ? "on" : "off",
                        round,
                        messages,
                        seconds,
                        rate,
                        cpuMicros);
            }
        } finally {
            relay.close();
            nextHop.close();
            if (file != null) {
                file.close();
            }
            if (journal != null) {
                journal.close();
            }
        }
        return new double[] {rate, cpuMicros};
    }

    private static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos();
    }

    /** One client: connections of up to {@code perConnection} messages until none remain. */
    private static void client(int port, AtomicInteger remaining, int perConnection, byte[] message)
            throws IOException {
        while (remaining.get() > 0) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setTcpNoDelay(true);
                s.setSoTimeout(30_000);
                InputStream in = new BufferedInputStream(s.getInputStream());
                OutputStream out = new BufferedOutputStream(s.getOutputStream());
                expect(in, "220");
                command(out, in, "EHLO client.bench", "250");
                for (int i = 0; i < perConnection && remaining.getAndDecrement() > 0; i++) {
                    command(out, in, "MAIL FROM:<alice@sender.example>", "250");
                    command(out, in, "RCPT TO:<bob@example.com>", "250");
                    command(out, in, "DATA", "354");
                    out.write(message);
                    out.flush();
                    expect(in, "250");
                }
                command(out, in, "QUIT", "221");
            }
        }
    }

    private static void command(OutputStream out, InputStream in, String line, String code)
            throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        expect(in, code);
    }

    /** Reads one (possibly multi-line) reply and checks its code. */
    private static void expect(InputStream in, String code) throws IOException {
        while (true) {
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("connection closed, expected " + code);
                }
                line.append((char) c);
            }
            if (!line.toString().startsWith(code)) {
                throw new IOException("expected " + code + ", got: " + line.toString().strip());
            }
            if (line.length() < 4 || line.charAt(3) != '-') {
                return;
            }
        }
    }

    private static byte[] message(int bodyBytes) {
        StringBuilder b =
                new StringBuilder(
                        "From: alice@sender.example\r\n"
                                + "To: bob@example.com\r\n"
                                + "Subject: throughput\r\n"
                                + "Message-ID: <bench@sender.example>\r\n\r\n");
        String line = "The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
        while (b.length() < bodyBytes) {
            b.append(line);
        }
        return b.append(".\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static double median(List<double[]> results, int column) {
        List<Double> sorted = results.stream().map(r -> r[column]).sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static int arg(String[] args, int index, int fallback) {
        return args.length > index ? Integer.parseInt(args[index]) : fallback;
    }

    /** A next hop that reads each message completely and throws it away; counts what it took. */
    static final class DiscardingNextHop implements AutoCloseable {
        private final LongAdder received = new LongAdder();
        private final SMTPServer server;

        DiscardingNextHop() {
            server =
                    SMTPServer.port(0)
                            .bindAddress(InetAddress.getLoopbackAddress())
                            .hostName("nexthop.bench")
                            .maxConnections(1000)
                            .messageHandlerFactory(
                                    context ->
                                            new MessageHandler() {
                                                @Override
                                                public void from(String from) {}

                                                @Override
                                                public void recipient(String recipient) {}

                                                @Override
                                                public String data(InputStream data)
                                                        throws IOException {
                                                    data.transferTo(
                                                            OutputStream.nullOutputStream());
                                                    received.increment();
                                                    return null;
                                                }

                                                @Override
                                                public void done() {}
                                            })
                            .build();
            server.start();
        }

        int port() {
            return server.getPortAllocated();
        }

        long received() {
            return received.sum();
        }

        @Override
        public void close() {
            server.stop();
        }
    }
}
