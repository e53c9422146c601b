package dev.bulwark.runtime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Build-time step of the packager: a class-data-sharing archive of the classes {@code serve} loads
 * until its first 220 banner ({@value #ARCHIVE}, ADR 0019), so that a node does not parse, verify
 * and link about 2,500 classes from the jars at every start.
 *
 * <p>The archive is dumped by the runtime's own java from a class list kept in the repository
 * ({@code src/build/cds-classes.txt}), with a class path relative to the runtime, so no build path
 * enters it: the JDK writes a static archive deterministically, and the same list gives the same
 * bytes in any directory. The list is made by {@link #train}: a training run of the runtime's own
 * {@code serve} (loopback, fixed environment, stopped after one banner and EHLO) with {@code
 * -XX:DumpLoadedClassList}, normalized (sorted, without the constant-pool lines and class ids).
 * Training is not part of every build because its class list varied between two clean builds (by
 * about 50 KB of archive): what a run loads at its edges follows thread timing. JDK 25's AOT cache
 * ({@code -XX:AOTCacheOutput}, {@code -XX:+AOTClassLinking}) is not used: two dumps of one list
 * differ in 62 bytes.
 *
 * <p>The JVM uses the archive only when every jar has the size and modification time it had here;
 * so every file's time is set to the build's fixed timestamp (the one the archive records), and a
 * runtime whose jars were touched starts without the archive, slower but the same.
 */
final class ClassDataSharing {

    /** The archive, relative to the runtime directory; the launcher passes it to the JVM. */
    static final String ARCHIVE = "lib/bulwark.jsa";

    /**
     * JVM options of the launcher that decide how classes are archived and mapped: the dump and the
     * training run use them too.
     */
    static final List<String> JVM_OPTIONS =
            List.of("-Xms16m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:-UsePerfData");

    private static final Pattern SERVING = Pattern.compile("serving SMTP on [^ ]*:(\\d+) ");

    private ClassDataSharing() {}

    /**
     * Sets every file's modification time to {@code epochSeconds}: what the archive records for the
     * jars, and what unpacking the runtime archive gives them.
     */
    static void fixTimes(Path home, long epochSeconds) throws IOException {
        FileTime t = FileTime.from(epochSeconds, TimeUnit.SECONDS);
        try (Stream<Path> s = Files.walk(home)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                Files.setLastModifiedTime(p, t);
            }
        }
    }

    /**
     * Records the classes {@code serve} loads in a training run of {@code home} (which must verify
     * against its manifest: the run is a real {@code serve}) and writes them, normalized, to {@code
     * list}: the file the build dumps from, kept in the repository.
     */
    static void train(Path home, String mainClass, List<String> classPath, Path list)
            throws IOException {
        Path raw = Files.createTempFile("bulwark-cds", ".classes");
        try {
            record(home, mainClass, classPath, raw);
            Files.write(list, normalize(Files.readAllLines(raw, StandardCharsets.UTF_8)));
        } finally {
            Files.delete(raw);
        }
        Packager.log("class list of a training run of serve written to " + list);
    }

    /**
     * Dumps {@value #ARCHIVE} into {@code home} from the class list {@code list} (a source file:
     * the archive is a function of the repository and the JDK). Names in the list that the class
     * path no longer has are skipped by the JVM; classes missing from it load from the jars.
     */
    static void dump(Path home, List<String> classPath, Path list) throws IOException {
        List<String> dump = new ArrayList<>();
        dump.add(home.resolve("bin/java").toString());
        dump.add("-Xshare:dump");
        dump.add("-XX:SharedClassListFile=" + list.toAbsolutePath());
        dump.add("-XX:SharedArchiveFile=" + ARCHIVE);
        dump.addAll(JVM_OPTIONS);
        dump.add("-cp");
        // Relative to the runtime (the dump runs in it): the archive records the class path as
        // given, and a relative one makes it independent of where the build ran. At run time the
        // JVM accepts the launcher's absolute entries, since they end in the same relative paths.
        dump.add(String.join(":", classPath));
        Process p =
                environment(new ProcessBuilder(dump))
                        .directory(home.toFile())
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (waitFor(p, 300) != 0 || !Files.isRegularFile(home.resolve(ARCHIVE))) {
            throw new IOException("the class-data-sharing dump failed:\n" + out);
        }
        Packager.log(
                "class-data-sharing archive "
                        + ARCHIVE
                        + ": "
                        + Files.size(home.resolve(ARCHIVE)) / 1024
                        + " KiB, from "
                        + list);
    }

    /**
     * The class list as a set: class names without their ids, sorted, then the lambda and
     * method-handle lines, sorted. Left out: comments, and the {@code @cp} lines (constant-pool
     * entries that happened to be resolved, which vary with thread timing from run to run).
     */
    static List<String> normalize(List<String> lines) {
        TreeSet<String> classes = new TreeSet<>();
        TreeSet<String> sites = new TreeSet<>();
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#") || line.startsWith("@cp ")) {
                continue;
            }
            if (line.startsWith("@")) {
                sites.add(line);
            } else {
                classes.add(line.replaceFirst(" id: \\d+$", ""));
            }
        }
        List<String> out = new ArrayList<>(classes);
        out.addAll(sites);
        return out;
    }

    /**
     * Runs {@code serve} from the runtime on loopback with {@code -XX:DumpLoadedClassList}, waits
     * for its banner, says EHLO (the classes of a session), and stops it as a supervisor would.
     */
    private static void record(Path home, String mainClass, List<String> classPath, Path raw)
            throws IOException {
        Path site = Files.createTempFile("bulwark-cds", ".conf");
        try (ServerSocket nextHop = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // The next hop is only named: serve does not call it before a RCPT.
            Files.writeString(
                    site,
                    "hostname = cds.invalid\nlisten = 127.0.0.1:0\nnext-hop = 127.0.0.1:"
                            + nextHop.getLocalPort()
                            + "\n");
            List<String> cmd = new ArrayList<>();
            cmd.add(home.resolve("bin/java").toString());
            cmd.addAll(JVM_OPTIONS);
            // Fixed, so that machines with other core counts load the same classes.
            cmd.add("-XX:ActiveProcessorCount=2");
            cmd.add("-XX:DumpLoadedClassList=" + raw.toAbsolutePath());
            cmd.add("-D" + RuntimeIntegrity.HOME_PROPERTY + "=" + home.toAbsolutePath());
            cmd.add("-cp");
            cmd.add(
                    String.join(
                            ":",
                            classPath.stream()
                                    .map(e -> home.toAbsolutePath().resolve(e).toString())
                                    .toList()));
            cmd.addAll(List.of(mainClass, "serve", "--site", site.toString()));
            Process p = environment(new ProcessBuilder(cmd)).redirectErrorStream(true).start();
            StringBuilder seen = new StringBuilder();
            try {
                int port = awaitServing(p, seen);
                greet(port);
            } finally {
                p.destroy();
                int exit = waitFor(p, 60);
                // 143: stopped by SIGTERM before the shutdown hooks finished
                if (exit != 0 && exit != 143) {
                    throw new IOException(
                            "the training run of serve exited with " + exit + ":\n" + seen);
                }
            }
        } finally {
            Files.deleteIfExists(site);
        }
    }

    private static int awaitServing(Process p, StringBuilder seen) throws IOException {
        BufferedReader in =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher m = SERVING.matcher(line);
            if (m.find()) {
                // Drain the rest so that the process never blocks on a full pipe.
                Thread.ofVirtual().start(() -> drain(in));
                return Integer.parseInt(m.group(1));
            }
        }
        throw new IOException("the training run of serve ended before it served:\n" + seen);
    }

    private static void greet(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 30_000);
            s.setSoTimeout(60_000);
            BufferedReader in =
                    new BufferedReader(
                            new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            expect(in, "220");
            out.write("EHLO cds.invalid\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            expect(in, "250");
            out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            expect(in, "221");
        }
    }

    private static void expect(BufferedReader in, String code) throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null || !line.startsWith(code)) {
                throw new IOException(
                        "the training run of serve answered '" + line + "', expected " + code);
            }
        } while (line.length() > 3 && line.charAt(3) == '-');
    }

    private static void drain(BufferedReader in) {
        try {
            while (in.readLine() != null) {
                // discarded: the training run's log after its banner
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    /**
     * The same environment on every build machine: no JVM options or site settings from the
     * builder's environment, and one time zone and locale (they decide which classes load).
     */
    private static ProcessBuilder environment(ProcessBuilder pb) {
        Map<String, String> env = pb.environment();
        env.keySet()
                .removeIf(
                        k ->
                                k.startsWith("BULWARK_")
                                        || k.startsWith("LC_")
                                        || k.equals("LANG")
                                        || k.equals("LANGUAGE")
                                        || k.equals("TZ")
                                        || k.equals("CLASSPATH")
                                        || k.endsWith("JAVA_OPTIONS")
                                        || k.equals("JAVA_TOOL_OPTIONS"));
        env.put("TZ", "UTC");
        env.put("LC_ALL", "C.UTF-8");
        return pb;
    }

    private static int waitFor(Process p, int seconds) throws IOException {
        try {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(
                        "the class-data-sharing step did not finish within " + seconds + " s");
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted", e));
        }
    }
}
