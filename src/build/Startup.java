import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Start-up benchmark run by src/build/startup.sh with JDK 25's source launcher: {@code java
 * Startup.java RUNTIME_DIR RUNS}. For each run: a site file with a free loopback port, {@code
 * bin/bulwark serve --site FILE} started, the port polled (every 2 ms) until a line starting with
 * {@code 220} is read, the wall time from just before the fork to that line recorded, the process
 * stopped by its PID. Prints each run and min/median/max; asserts nothing.
 */
public class Startup {

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]).toRealPath();
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path launcher = home.resolve("bin/bulwark");
        Path site = Files.createTempFile("bulwark-startup", ".conf");
        Path log = Files.createTempFile("bulwark-startup", ".log");
        List<Double> ms = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        try (NextHop hop = new NextHop()) {
            for (int i = 0; i < runs; i++) {
                int port = freePort();
                Files.writeString(
                        site,
                        "hostname = startup.test\nlisten = 127.0.0.1:"
                                + port
                                + "\nnext-hop = 127.0.0.1:"
                                + hop.port()
                                + "\n");
                long t0 = System.nanoTime();
                Process p =
                        new ProcessBuilder(launcher.toString(), "serve", "--site", site.toString())
                                .redirectErrorStream(true)
                                .redirectOutput(log.toFile())
                                .start();
                try {
                    awaitBanner(p, port, log);
                    double t = (System.nanoTime() - t0) / 1e6;
                    double c = cpuMillis(p.pid());
                    ms.add(t);
                    cpu.add(c);
                    System.out.printf("run %2d  %6.0f ms  (CPU %5.0f ms)%n", i + 1, t, c);
                } finally {
                    p.destroy();
                    if (!p.waitFor(20, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor();
                    }
                }
            }
        } finally {
            Files.deleteIfExists(site);
            Files.deleteIfExists(log);
        }
        System.out.println("fork to first 220: " + stats(ms));
        System.out.println("CPU time to 220 (user+system, all threads): " + stats(cpu));
    }

    static String stats(List<Double> values) {
        List<Double> s = values.stream().sorted().toList();
        double median =
                s.size() % 2 == 1
                        ? s.get(s.size() / 2)
                        : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
        return String.format(
                "median %.0f ms, min %.0f ms, max %.0f ms (%d runs)",
                median, s.getFirst(), s.getLast(), s.size());
    }

    /**
     * User plus system CPU time of the serving process, all threads, from /proc/PID/stat (the
     * launcher execs java, so the PID is the JVM's). On a shared machine this moves less than the
     * wall time.
     */
    static double cpuMillis(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // utime and stime are fields 14 and 15, 11 and 12 after the command name; in clock ticks
        // of 10 ms
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0;
    }

    static void awaitBanner(Process p, int port, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException(
                        "serve exited with "
                                + p.exitValue()
                                + " before its banner:\n"
                                + Files.readString(log));
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
                // A refused connect returns at once: wait 2 ms rather than take a core from the
                // JVM being measured.
                LockSupport.parkNanos(2_000_000);
            }
        }
        throw new IllegalStateException("no 220 banner within 30 s:\n" + Files.readString(log));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A next hop that greets and says 250 to everything: serve only needs it to exist. */
    static final class NextHop implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
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
                out.write(
                        "220 next-hop.startup.test ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                for (String line; (line = in.readLine()) != null; ) {
                    out.write(
                            (line.regionMatches(true, 0, "QUIT", 0, 4)
                                            ? "221 bye\r\n"
                                            : "250 ok\r\n")
                                    .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
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
