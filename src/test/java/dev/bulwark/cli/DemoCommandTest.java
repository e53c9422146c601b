package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** {@code bulwark demo}: the samples through a real relay and an embedded next hop. */
class DemoCommandTest {

    @Test
    void narratesEachRuleThatFiredWithItsDescription() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code =
                Cli.run(
                        new String[] {"demo", "--port", "0", "--samples-only"},
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        String narration = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(narration)
                .contains("the GTUBE test string: rejected")
                .contains("rule: gtube \u2014 the Generic Test for Unsolicited Bulk Email\n");
    }
}
