import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Benchmark of an unpacked runtime, run by src/build/measure-runtime.sh with JDK 25's source
 * launcher (java MeasureRuntime.java ...). Prints a table; asserts nothing.
 *
 * <ul>
 *   <li>wall time of {@code bin/bulwark version} and {@code bin/bulwark verify} (JVM start to
 *       exit);
 *   <li>when the runtime has {@code serve}: time from process start to the SMTP 220 banner, over a
 *       site file pointing at a next hop this program runs on loopback; resident memory when idle;
 *       then a bounded load (connections x messages, one transaction after another on each
 *       connection) and resident memory after it (VmRSS) and at its peak (VmHWM).
 * </ul>
 *
 * Usage: java MeasureRuntime.java RUNTIME_DIR [runs] [connections] [messages-per-connection]
 * [recipient]
 */
public class MeasureRuntime {

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]).toRealPath();
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int connections = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int perConnection = args.length > 3 ? Integer.parseInt(args[3]) : 25;
        String recipient = args.length > 4 ? args[4] : "postmaster@example.com";
        Path launcher = home.resolve("bin/bulwark");
        Map<String, String> rows = new java.util.LinkedHashMap<>();

        rows.put(
                "bin/bulwark version (process start to exit)",
                stats(time(runs, List.of(launcher.toString(), "version"))));
        rows.put(
                "bin/bulwark verify (process start to exit)",
                stats(time(runs, List.of(launcher.toString(), "verify"))));

        Proc usage = Proc.run(List.of(launcher.toString()));
        if (!usage.err.contains("serve")) {
            rows.put(
                    "serve", "not in this runtime's command line: no banner, idle or load figures");
            print(rows);
            return;
        }
        try (NextHop hop = new NextHop()) {
            Path site = Files.createTempFile("bulwark-measure", ".conf");
            List<Double> ready = new ArrayList<>();
            List<Double> readyCpu = new ArrayList<>();
            long idleKb = 0;
            for (int i = 0; i < runs; i++) {
                int port = freePort();
                Files.writeString(
                        site,
                        "hostname = measure.test\nlisten = 127.0.0.1:"
                                + port
                                + "\nnext-hop = 127.0.0.1:"
                                + hop.port()
                                + "\n");
                long t0 = System.nanoTime();
                Process p =
                        new ProcessBuilder(launcher.toString(), "serve", "--site", site.toString())
                                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                                .redirectError(ProcessBuilder.Redirect.DISCARD)
                                .start();
                try {
                    awaitBanner(p, port);
                    ready.add((System.nanoTime() - t0) / 1e6);
                    readyCpu.add(cpuMillis(p.pid()));
                    if (i == runs - 1) {
                        // Idle: after start-up work (JIT, class loading) has settled.
                        Thread.sleep(3000);
                        idleKb = status(p.pid(), "VmRSS");
                        LoadResult load = load(port, connections, perConnection, recipient);
                        rows.put("time to 220 banner (process start to banner)", stats(ready));
                        rows.put(
                                "CPU time to 220 banner (user+system, all threads)",
                                stats(readyCpu));
                        rows.put("resident memory idle (VmRSS)", idleKb / 1024 + " MiB");
                        rows.put(
                                "load",
                                connections
                                        + " connections x "
                                        + perConnection
                                        + " messages, "
                                        + String.format("%.0f", load.seconds())
                                        + " s, replies "
                                        + load.replies());
                        rows.put(
                                "resident memory after load (VmRSS)",
                                status(p.pid(), "VmRSS") / 1024 + " MiB");
                        rows.put(
                                "resident memory peak (VmHWM)",
                                status(p.pid(), "VmHWM") / 1024 + " MiB");
                        rows.put("messages at the next hop", Long.toString(hop.messages.sum()));
                    }
                } finally {
                    p.destroy();
                    if (!p.waitFor(20, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                }
            }
            Files.delete(site);
        }
        print(rows);
    }

    record LoadResult(double seconds, Map<String, Integer> replies) {}

    /** Sends connections x perConnection small messages; counts the final replies by code. */
    static LoadResult load(int port, int connections, int perConnection, String recipient)
            throws Exception {
        Map<String, Integer> replies = new ConcurrentHashMap<>();
        long t0 = System.nanoTime();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                int conn = c;
                fs.add(
                        ex.submit(
                                () -> {
                                    try (Socket s =
                                            new Socket(InetAddress.getLoopbackAddress(), port)) {
                                        s.setSoTimeout(60_000);
                                        BufferedReader in =
                                                new BufferedReader(
                                                        new InputStreamReader(
                                                                s.getInputStream(),
                                                                StandardCharsets.US_ASCII));
                                        OutputStream out = s.getOutputStream();
                                        reply(in);
                                        send(out, "EHLO load" + conn + ".measure.test");
                                        reply(in);
                                        for (int m = 0; m < perConnection; m++) {
                                            send(
                                                    out,
                                                    "MAIL FROM:<sender"
                                                            + conn
                                                            + "-"
                                                            + m
                                                            + "@measure.test>");
                                            String r = reply(in);
                                            if (r.startsWith("250")) {
                                                send(out, "RCPT TO:<" + recipient + ">");
                                                r = reply(in);
                                            }
                                            if (r.startsWith("250")) {
                                                send(out, "DATA");
                                                r = reply(in);
                                            }
                                            if (r.startsWith("354")) {
                                                out.write(
                                                        message(conn, m)
                                                                .getBytes(
                                                                        StandardCharsets.US_ASCII));
                                                out.flush();
                                                r = reply(in);
                                            }
                                            replies.merge(r.substring(0, 3), 1, Integer::sum);
                                            send(out, "RSET");
                                            reply(in);
                                        }
                                        send(out, "QUIT");
                                    }
                                    return null;
                                }));
            }
            for (Future<?> f : fs) {
                f.get(10, TimeUnit.MINUTES);
            }
        }
        return new LoadResult((System.nanoTime() - t0) / 1e9, new TreeMap<>(replies));
    }

    static String message(int conn, int m) {
        StringBuilder b = new StringBuilder();
        b.append("From: <sender").append(conn).append('-').append(m).append("@measure.test>\r\n");
        b.append("To: <postmaster@example.com>\r\nSubject: measurement ").append(m).append("\r\n");
        b.append("Message-ID: <")
                .append(conn)
                .append('.')
                .append(m)
                .append("@measure.test>\r\n\r\n");
        for (int i = 0; i < 40; i++) {
            b.append("A line of ordinary text for the content rules to read, number ")
                    .append(i)
                    .append(".\r\n");
        }
        return b.append(".\r\n").toString();
    }

    static void awaitBanner(Process p, int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException(
                        "serve exited with " + p.exitValue() + " before its banner");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                s.setSoTimeout(10_000);
                String line =
                        new BufferedReader(
                                        new InputStreamReader(
                                                s.getInputStream(), StandardCharsets.US_ASCII))
                                .readLine();
                if (line != null && line.startsWith("220")) {
                    return;
                }
            } catch (IOException notYet) {
                // Poll every 5 ms: a busy loop would take a core from the JVM being measured.
                java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
            }
        }
        throw new IllegalStateException("no 220 banner within 30 s");
    }

    static List<Double> time(int runs, List<String> cmd) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            Proc r = Proc.run(cmd);
            if (r.exit != 0) {
                throw new IllegalStateException(cmd + " exited " + r.exit + ": " + r.err);
            }
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        return ms;
    }

    record Proc(int exit, String out, String err) {
        static Proc run(List<String> cmd) throws Exception {
            Process p = new ProcessBuilder(cmd).start();
            Future<String> err;
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                err =
                        ex.submit(
                                () ->
                                        new String(
                                                p.getErrorStream().readAllBytes(),
                                                StandardCharsets.UTF_8));
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(cmd + " did not finish");
                }
                return new Proc(p.exitValue(), out, err.get());
            }
        }
    }

    static String stats(List<Double> ms) {
        List<Double> s = ms.stream().sorted().toList();
        return String.format(
                "min %.0f ms, median %.0f ms, max %.0f ms (%d runs)",
                s.getFirst(), s.get(s.size() / 2), s.getLast(), s.size());
    }

    /** User plus system CPU time of a running process, all threads, from /proc/PID/stat. */
    static double cpuMillis(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields 14 and 15 (utime, stime) are 11 and 12 after the command name; clock ticks of 10
        // ms
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0;
    }

    static long status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no " + field + " for " + pid);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void send(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads one (possibly multi-line) reply and returns its last line. */
    static String reply(BufferedReader in) throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed");
            }
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    static void print(Map<String, String> rows) {
        int w = rows.keySet().stream().mapToInt(String::length).max().orElse(10);
        PrintStream o = System.out;
        rows.forEach((k, v) -> o.println(String.format("%-" + w + "s  %s", k, v)));
    }

    /** A next hop that accepts everything: enough SMTP for the relay's client. */
    static final class NextHop implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        final LongAdder messages = new LongAdder();
        final ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor();

        NextHop() throws IOException {
            ex.submit(
                    () -> {
                        while (!server.isClosed()) {
                            Socket s;
                            try {
                                s = server.accept();
                            } catch (IOException closed) {
                                return null;
                            }
                            ex.submit(() -> serve(s));
                        }
                        return null;
                    });
        }

        int port() {
            return server.getLocalPort();
        }

        private Void serve(Socket s) throws IOException {
            try (s) {
                BufferedReader in =
                        new BufferedReader(
                                new InputStreamReader(
                                        s.getInputStream(), StandardCharsets.ISO_8859_1));
                OutputStream out = s.getOutputStream();
                send(out, "220 next-hop.measure.test ESMTP");
                for (String line; (line = in.readLine()) != null; ) {
                    String verb =
                            line.length() >= 4
                                    ? line.substring(0, 4).toUpperCase()
                                    : line.toUpperCase();
                    switch (verb) {
                        case "EHLO" ->
                                send(
                                        out,
                                        "250-next-hop.measure.test\r\n"
                                                + "250-PIPELINING\r\n"
                                                + "250-8BITMIME\r\n"
                                                + "250 SIZE 52428800");
                        case "DATA" -> {
                            send(out, "354 go ahead");
                            while ((line = in.readLine()) != null && !line.equals(".")) {
                                // discard the message
                            }
                            messages.increment();
                            send(out, "250 2.0.0 queued");
                        }
                        case "QUIT" -> {
                            send(out, "221 2.0.0 bye");
                            return null;
                        }
                        default -> send(out, "250 2.0.0 ok");
                    }
                }
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            server.close();
            ex.shutdownNow();
        }
    }
}
