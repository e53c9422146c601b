package dev.bulwark.check.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.SmtpWire;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Hostile messages through the real relay, running in a JVM of its own with the heap a node has
 * (the launcher's default, 256 MiB, and {@code -XX:+ExitOnOutOfMemoryError} as in {@code
 * bin/bulwark}): the node must answer and keep serving.
 */
class HostileMessageIT {

    private static final String HEAP = "256m";

    @TempDir Path spool;

    private RecordingNextHop nextHop;
    private Process relay;
    private BufferedReader relayOut;
    private int port;
    private Path relayErr;

    @BeforeEach
    void start() throws Exception {
        nextHop = new RecordingNextHop();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath =
                System.getProperty(
                        "surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command =
                new ArrayList<>(
                        List.of(
                                java,
                                "-Xms16m",
                                "-Xmx" + HEAP,
                                "-XX:+UseSerialGC",
                                "-XX:+ExitOnOutOfMemoryError",
                                "-cp",
                                classPath,
                                ForkedRelay.class.getName(),
                                "policy",
                                Integer.toString(nextHop.port()),
                                spool.toString()));
        relayErr = spool.resolve("relay.err");
        relay = new ProcessBuilder(command).redirectError(relayErr.toFile()).start();
        relayOut =
                new BufferedReader(
                        new InputStreamReader(relay.getInputStream(), StandardCharsets.UTF_8));
        String line = relayOut.readLine();
        assertThat(line).as("the relay's first line").startsWith("listening ");
        port = Integer.parseInt(line.substring("listening ".length()));
    }

    @AfterEach
    void stop() throws Exception {
        if (relay.isAlive()) {
            relay.getOutputStream().close(); // the relay ends when its standard input closes
            if (!relay.waitFor(30, TimeUnit.SECONDS)) {
                relay.destroyForcibly();
            }
        }
        nextHop.close();
    }

    /**
     * The relay's peak heap use so far. Asking it is also how the test learns, without racing a
     * dying JVM, that the relay still runs: a relay that died answers with EOF, or with the JVM's
     * last words ({@code Terminating due to java.lang.OutOfMemoryError}).
     */
    private long peakHeap() throws Exception {
        String line;
        try {
            OutputStream in = relay.getOutputStream();
            in.write("heap\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            line = relayOut.readLine();
        } catch (IOException e) {
            line = e.toString();
        }
        if (line == null || !line.startsWith("heap ")) {
            fail("the relay died: it answered " + line + "; " + relayState());
        }
        return Long.parseLong(line.substring(5));
    }

    private String send(byte[] message) throws IOException {
        try (SmtpWire c = SmtpWire.open(port)) {
            c.envelope("mallory@example.net", "bob@example.com");
            c.raw(message);
            c.raw(".\r\n");
            return c.reply();
        }
    }

    /** How the relay process ended, and what it wrote to standard error. */
    private String relayState() throws Exception {
        String err = Files.readString(relayErr, StandardCharsets.UTF_8);
        if (relay.waitFor(10, TimeUnit.SECONDS)) {
            StringBuilder out = new StringBuilder();
            for (String l; (l = relayOut.readLine()) != null; ) {
                out.append(l).append('\n');
            }
            return "it exited with status "
                    + relay.exitValue()
                    + ", standard output: "
                    + out
                    + "standard error: "
                    + err;
        }
        return "it runs, standard error: " + err;
    }

    @Test
    void survivesTwentyNestedAttachedMessagesOfElevenMebibytes() throws Exception {
        byte[] message = HostileMessages.nestedMessages(20, 11 * 1024 * 1024);

        String reply;
        try {
            reply = send(message);
        } catch (IOException e) {
            reply = e.getMessage();
        }

        long peak = peakHeap();
        assertThat(reply).matches("[245]\\d\\d [245]\\.\\d+\\.\\d+ .*");
        System.out.printf(
                "HostileMessageIT: %d-octet nested message: %s; peak heap %.1f MiB of %s%n",
                message.length, reply, peak / 1048576.0, HEAP);
        // and the node still serves
        String next =
                send(
                        ("Subject: after\r\nFrom: alice@example.org\r\n\r\nstill there?\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
        assertThat(next).startsWith("250 ");
    }
}
