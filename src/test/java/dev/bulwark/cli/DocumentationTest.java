package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The man pages and the completion script the build ships, rendered by the real tools. */
class DocumentationTest {

    @TempDir Path dir;

    private record Result(int exit, String out, String err) {}

    private static Result run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(
                p.exitValue(),
                new String(out, StandardCharsets.UTF_8),
                new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void writesAPagePerCommandAndTheCompletionScript() throws IOException {
        List<Path> written = Documentation.write(dir, "9.9.9");
        assertThat(written.stream().map(p -> dir.relativize(p).toString()))
                .contains(
                        "man/man1/bulwark.1",
                        "man/man1/bulwark-check.1",
                        "man/man1/bulwark-policy-compile.1",
                        "man/man1/bulwark-site-check.1",
                        "completion/bulwark.bash")
                .hasSize(Documentation.commands(Cli.commandLine()).size() + 1);
    }

    @Test
    void everyPageRendersWithoutATroffWarning() throws Exception {
        for (Path page : Documentation.write(dir, "9.9.9")) {
            if (!page.toString().endsWith(".1")) {
                continue;
            }
            Result groff =
                    run(List.of("groff", "-man", "-Tutf8", "-ww", "-z", page.toString()), Map.of());
            assertThat(groff.exit()).as(page + ": " + groff.err()).isZero();
            assertThat(groff.err()).as(page.toString()).isEmpty();
        }
    }

    @Test
    void manShowsTheCheckPageWithItsExitStatus() throws Exception {
        Documentation.write(dir, "9.9.9");
        Result man =
                run(
                        List.of("man", "-l", dir.resolve("man/man1/bulwark-check.1").toString()),
                        Map.of("MANWIDTH", "100", "MANPAGER", "cat", "PAGER", "cat"));
        assertThat(man.exit()).as(man.err()).isZero();
        assertThat(man.out())
                .contains("BULWARK-CHECK(1)", "NAME", "bulwark-check - Runs one message")
                .contains("--dns-answers=FILE", "EXIT STATUS", "deferred: a 4xx reply")
                .contains("Bulwark 9.9.9");
    }

    @Test
    void theCompletionScriptLoadsInBashAndCompletesCommands() throws Exception {
        Documentation.write(dir, "9.9.9");
        Path script = dir.resolve(Documentation.COMPLETION);
        Result loaded =
                run(
                        List.of("bash", "-c", "source '" + script + "' && complete -p bulwark"),
                        Map.of());
        assertThat(loaded.exit()).as(loaded.err()).isZero();
        assertThat(loaded.out()).contains("-F _complete_bulwark bulwark");
        Result completed =
                run(
                        List.of(
                                "bash",
                                "-c",
                                "source '"
                                        + script
                                        + "' && COMP_WORDS=(bulwark policy co) COMP_CWORD=2"
                                        + " COMP_LINE='bulwark policy co' COMP_POINT=17"
                                        + " && _complete_bulwark bulwark co policy"
                                        + " && echo \"${COMPREPLY[@]}\""),
                        Map.of());
        assertThat(completed.out().strip()).isEqualTo("compile");
    }
}
