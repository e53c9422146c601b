package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

class SiteCommandTest {

    @TempDir Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int bulwark(String... args) {
        return Cli.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void exitsZeroForAValidFileAndSaysSo() throws Exception {
        Path site = Files.writeString(dir.resolve("site.conf"), "next-hop = mail.internal:25\n");

        assertThat(bulwark("site", "check", site.toString())).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(site + ": valid\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void printsEveryProblemAsFileLineErrorAndExits78() throws Exception {
        Path site =
                Files.writeString(
                        dir.resolve("site.conf"),
                        "next-hop = mail.internal:25\nlisten = 0.0.0.0:2525\npolicy = x\n");

        assertThat(bulwark("site", "check", "--image", site.toString())).isEqualTo(78);
        assertThat(err.toString(StandardCharsets.UTF_8).lines())
                .hasSize(2)
                .satisfiesExactly(
                        l ->
                                assertThat(l)
                                        .startsWith(
                                                site
                                                        + ":2: error: invalid value '0.0.0.0:2525'"
                                                        + " for 'listen': expected port 25"),
                        l ->
                                assertThat(l)
                                        .startsWith(site + ":3: error: unknown setting 'policy'"));
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void takesTheMetricsPortForTheImage() throws Exception {
        Path site =
                Files.writeString(
                        dir.resolve("site.conf"),
                        "next-hop = mail.internal:25\nmetrics.listen = 0.0.0.0:9100\n");

        assertThat(bulwark("site", "check", "--image", "--metrics-port", "9100", site.toString()))
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("valid for the image");
    }

    @Test
    void explainsItsUsage() {
        assertThat(bulwark("site")).isEqualTo(2);
        assertThat(bulwark("site", "check")).isEqualTo(2);
        assertThat(bulwark("site", "check", "--metrics-port", "x", "a.conf")).isEqualTo(2);
        assertThat(bulwark("site", "check", "a.conf", "b.conf")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("usage: bulwark site check [-hV] [--image] [--metrics-port=N] FILE");
    }
}
