package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** {@code serve}'s arguments: the unit's read without picocli, anything else through it. */
class ServeCommandTest {

    @Test
    void readsTheUnitsArgumentsWithoutPicocli() {
        assertThat(ServeCommand.quick(new String[] {"serve"})).isPresent();
        assertThat(ServeCommand.quick(new String[] {"serve", "--site", "/run/bulwark/site.conf"}))
                .isPresent();
        assertThat(ServeCommand.quick(new String[] {"serve", "--development", "--site", "s"}))
                .isPresent();
    }

    @Test
    void leavesHelpAndMistakesToPicocli() {
        for (String[] args :
                new String[][] {
                    {"serve", "--help"},
                    {"serve", "--site"},
                    {"serve", "--site", "--development"},
                    {"serve", "--site", "a", "--site", "b"},
                    {"serve", "--site=a"},
                    {"serve", "extra"}
                }) {
            assertThat(ServeCommand.quick(args)).as(String.join(" ", args)).isEmpty();
        }
    }

    @Test
    void aMistakeIsStillNamedByPicocli() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code =
                Cli.run(
                        new String[] {"serve", "--site"},
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("bulwark serve: Missing required parameter for option '--site'");
    }
}
