package dev.bulwark.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real authoritative DNS server (NLnet Labs' {@code nsd}, Debian package {@code nsd}) of the
 * test's own on a loopback port, serving zones the test generates. Questions inside a configured
 * zone get authoritative answers (NXDOMAIN and NODATA with the zone's SOA); a zone declared with
 * {@link Zones#broken} fails to load and is answered SERVFAIL; names outside every zone are
 * REFUSED. Response rate limiting is off: tests and benchmarks ask one source many times a second.
 * Stopped by its own PID with {@link #close()}.
 */
public final class NsdServer implements AutoCloseable {

    private static final Duration START_DEADLINE = Duration.ofSeconds(30);
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () ->
                                        RUNNING.forEach(
                                                p -> {
                                                    p.descendants()
                                                            .forEach(
                                                                    ProcessHandle::destroyForcibly);
                                                    p.destroyForcibly();
                                                })));
    }

    /** The zones to serve: each zone's records in zone-file syntax, relative to its origin. */
    public static final class Zones {
        private final Map<String, List<String>> zones = new LinkedHashMap<>();
        private final List<String> broken = new ArrayList<>();

        /**
         * Adds records to a zone (created on first use with an SOA whose negative TTL is 60 s and
         * an NS record), e.g. {@code zone("example.com", "@ TXT \"v=spf1 -all\"", "mail A
         * 192.0.2.1")}.
         */
        public Zones zone(String origin, String... records) {
            zones.computeIfAbsent(origin, o -> new ArrayList<>()).addAll(List.of(records));
            return this;
        }

        /** A zone whose file does not load: nsd answers every question in it SERVFAIL. */
        public Zones broken(String origin) {
            broken.add(origin);
            return this;
        }
    }

    private final Path dir;
    private final Process process;
    private final int port;
    private final List<String> output;

    private NsdServer(Path dir, Process process, int port, List<String> output) {
        this.dir = dir;
        this.process = process;
        this.port = port;
        this.output = output;
    }

    /** Writes the zones and starts nsd on a free loopback port; returns once it serves them. */
    public static NsdServer start(Zones zones) {
        Path dir;
        try {
            dir = Files.createTempDirectory("bulwark-nsd");
            StringBuilder conf = new StringBuilder();
            for (Map.Entry<String, List<String>> z : zones.zones.entrySet()) {
                Files.writeString(
                        dir.resolve(z.getKey() + ".zone"), zoneFile(z.getKey(), z.getValue()));
                conf.append(zoneConf(z.getKey()));
            }
            for (String b : zones.broken) {
                Files.writeString(dir.resolve(b + ".zone"), "this is not a zone file\n");
                conf.append(zoneConf(b));
            }
            Files.writeString(dir.resolve("zones.conf"), conf.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = RedisServer.freePort();
            try {
                return launch(dir, port);
            } catch (IllegalStateException e) {
                last = e; // most likely the UDP or TCP port was taken between probe and bind
            }
        }
        throw last;
    }

    private static String zoneConf(String origin) {
        return "zone:\n    name: " + origin + "\n    zonefile: " + origin + ".zone\n";
    }

    private static String zoneFile(String origin, List<String> records) {
        StringBuilder sb = new StringBuilder();
        sb.append("$ORIGIN ").append(origin).append(".\n$TTL 300\n");
        sb.append("@ IN SOA ns.")
                .append(origin)
                .append(". hostmaster.")
                .append(origin)
                .append(". 1 3600 600 86400 60\n");
        sb.append("@ IN NS ns.").append(origin).append(".\n");
        for (String r : records) {
            sb.append(r).append('\n');
        }
        return sb.toString();
    }

    private static String executable() {
        for (String candidate : List.of("/usr/sbin/nsd", "/usr/local/sbin/nsd", "/usr/bin/nsd")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new IllegalStateException("nsd is not installed: apt-get install -y nsd");
    }

    private static NsdServer launch(Path dir, int port) {
        String conf =
                """
                server:
                    ip-address: 127.0.0.1
                    port: %d
                    username: ""
                    chroot: ""
                    zonesdir: "%s"
                    pidfile: "%s/nsd.pid"
                    xfrdfile: "%s/xfrd.state"
                    zonelistfile: "%s/zone.list"
                    database: ""
                    server-count: 1
                    verbosity: 1
                    hide-version: yes
                    do-ip6: no
                    refuse-any: yes
                    rrl-ratelimit: 0
                    rrl-whitelist-ratelimit: 0
                remote-control:
                    control-enable: no
                include: "%s/zones.conf"
                """
                        .formatted(port, dir, dir, dir, dir, dir);
        Path confFile = dir.resolve("nsd-" + port + ".conf");
        Process p;
        try {
            Files.writeString(confFile, conf);
            p =
                    new ProcessBuilder(executable(), "-d", "-c", confFile.toString())
                            .redirectErrorStream(true)
                            .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start nsd", e);
        }
        RUNNING.add(p);
        List<String> output = Collections.synchronizedList(new ArrayList<>());
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual()
                .name("nsd-" + port + "-output")
                .start(
                        () -> {
                            try (BufferedReader in =
                                    new BufferedReader(
                                            new InputStreamReader(
                                                    p.getInputStream(), StandardCharsets.UTF_8))) {
                                String line;
                                while ((line = in.readLine()) != null) {
                                    output.add(line);
                                    lines.add(line);
                                }
                            } catch (IOException e) {
                                // the process went away; noticed below
                            }
                            lines.add("<eof>");
                        });
        NsdServer server = new NsdServer(dir, p, port, output);
        long deadline = System.nanoTime() + START_DEADLINE.toNanos();
        try {
            while (true) {
                String line =
                        lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null || line.equals("<eof>")) {
                    server.close();
                    throw new IllegalStateException(
                            "nsd on port "
                                    + port
                                    + (line == null ? " not ready in time: " : " exited: ")
                                    + output);
                }
                if (line.contains("nsd started")) {
                    return server;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.close();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Where it answers (UDP and TCP). */
    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** What nsd logged so far. */
    public List<String> output() {
        return List.copyOf(output);
    }

    @Override
    public void close() {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
        RUNNING.remove(process);
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a leftover temp directory is harmless
        }
    }
}
