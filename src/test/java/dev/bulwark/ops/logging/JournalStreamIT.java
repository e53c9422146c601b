package dev.bulwark.ops.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The node as systemd runs it: standard error is a stream socket and {@code JOURNAL_STREAM} names
 * it. Python makes the socket pair and hands one end to the relay as its standard error (as systemd
 * does), and forwards what arrives on the other end; the lines must carry syslog priorities, and
 * standard output (the audit log) none.
 */
class JournalStreamIT {

    /** Runs argv with standard error on a socket named by JOURNAL_STREAM; relays it to stdout. */
    private static final String AS_SYSTEMD =
            """
            import os, socket, subprocess, sys
            ours, theirs = socket.socketpair()
            st = os.fstat(theirs.fileno())
            env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
            child = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=theirs.fileno(), env=env)
            theirs.close()
            with ours.makefile("rb") as journal:
                for line in journal:
                    sys.stdout.buffer.write(line)
                    sys.stdout.flush()
                    if b"serving SMTP" in line:
                        child.terminate()
            sys.exit(child.wait())
            """;

    @TempDir Path dir;

    private static List<String> java(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.bulwark.Main");
        command.addAll(List.of(args));
        return command;
    }

    private record Run(int exit, List<String> journal) {}

    private static Run underSystemd(List<String> command) throws Exception {
        List<String> argv = new ArrayList<>(List.of("python3", "-c", AS_SYSTEMD));
        argv.addAll(command);
        Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines.add(line);
            }
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), lines);
    }

    @Test
    void aRefusedConfigurationReachesTheJournalWithPriorityErrAndExit78() throws Exception {
        Path site = dir.resolve("site.conf");
        Files.writeString(site, "next-hop = 127.0.0.1:25\nlisten = 0.0.0.0:99999\n");

        Run run = underSystemd(java("serve", "--development", "--site", site.toString()));

        assertThat(run.exit()).isEqualTo(78);
        assertThat(run.journal()).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("<3>"));
        assertThat(run.journal()).anySatisfy(l -> assertThat(l).contains("site.conf:2: error: "));
    }

    @Test
    void logLinesOfARunningNodeCarryTheirLevelsPriority() throws Exception {
        Path site = dir.resolve("site.conf");
        Files.writeString(
                site,
                "hostname = journal.bulwark.test\nlisten = 127.0.0.1:0\nnext-hop = 127.0.0.1:9\n");

        Run run = underSystemd(java("serve", "--development", "--site", site.toString()));

        assertThat(run.journal())
                .anySatisfy(l -> assertThat(l).startsWith("<6>[INFO] ServeCommand - serving SMTP"))
                .anySatisfy(l -> assertThat(l).isEqualTo("<6>[INFO] ServeCommand - stopping"));
        assertThat(run.journal()).allSatisfy(l -> assertThat(l).matches("<[0-7]>.*"));
    }
}
