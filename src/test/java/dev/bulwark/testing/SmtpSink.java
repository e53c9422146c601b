package dev.bulwark.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Postfix's {@code smtp-sink} as a next hop: a fast, real SMTP server that offers PIPELINING and
 * can be told to refuse or drop commands. Started on a free loopback port, stopped by its own PID.
 * Needs the Debian package {@code postfix} (installed by {@code .ci/run}).
 */
public final class SmtpSink implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path dumps;

    private SmtpSink(Process process, int port, Path dumps) {
        this.process = process;
        this.port = port;
        this.dumps = dumps;
    }

    /**
     * Starts smtp-sink with extra options, dumping each message into a directory of its own (in the
     * system temporary directory: smtp-sink drops privileges and must reach it).
     */
    public static SmtpSink start(String... options) throws IOException {
        Path dumps = Files.createTempDirectory("smtp-sink-");
        return startOn(RedisServer.freePort(), dumps, options);
    }

    /**
     * Starts smtp-sink on a given port, dumping into {@code dumps} (which must be reachable by
     * "nobody").
     */
    public static SmtpSink startOn(int port, Path dumps, String... options) throws IOException {
        Path binary = Path.of("/usr/sbin/smtp-sink");
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException(
                    "/usr/sbin/smtp-sink is missing: install the Debian package postfix "
                            + "(.ci/run does)");
        }
        List<String> command = new ArrayList<>(List.of(binary.toString()));
        if ("root".equals(System.getProperty("user.name"))) {
            command.addAll(List.of("-u", "nobody"));
            Files.setPosixFilePermissions(
                    dumps, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        command.addAll(List.of(options));
        command.addAll(
                List.of(
                        "-d",
                        dumps.resolve("%Y%m%d%H%M%S.").toString(),
                        "127.0.0.1:" + port,
                        "64"));
        Process p =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return new SmtpSink(p, port, dumps);
            } catch (IOException notYet) {
                if (!p.isAlive()) {
                    throw new IOException("smtp-sink exited with " + p.exitValue());
                }
            }
        }
        p.destroy();
        throw new IOException("smtp-sink did not listen on port " + port + " within 10 s");
    }

    public int port() {
        return port;
    }

    /** The messages dumped so far (each file: smtp-sink's envelope headers, then the message). */
    public List<String> messages() throws IOException {
        try (Stream<Path> files = Files.list(dumps)) {
            List<String> out = new ArrayList<>();
            for (Path f : files.sorted().toList()) {
                out.add(Files.readString(f));
            }
            return out;
        }
    }

    public Path dumps() {
        return dumps;
    }

    /** Stops smtp-sink; the dumped messages stay until {@link #deleteDumps()}. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }

    public void deleteDumps() throws IOException {
        try (Stream<Path> files = Files.list(dumps)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dumps);
    }
}
