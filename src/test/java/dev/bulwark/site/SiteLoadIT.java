package dev.bulwark.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The image's seed loader ({@code packer/guest/lib/site-load}) with the runtime this build made,
 * through its table test: the loader decides nothing itself, so its table passing with this runtime
 * is the proof that the image accepts exactly what {@code serve} accepts. Runs in every build, not
 * only when the image is built.
 */
class SiteLoadIT {

    @Test
    void theImagesLoaderPassesItsTableWithThisBuildsRuntime() throws Exception {
        if (Boolean.getBoolean("bulwark.runtime.skip")) {
            abort("the runtime was not built (-Dbulwark.runtime.skip)");
        }
        Path base = Path.of(System.getProperty("basedir", "."));
        Path runtime = base.resolve("target/runtime/bulwark");
        Process p =
                new ProcessBuilder(
                                "bash",
                                base.resolve("image/test/test-site-load.sh").toString(),
                                "--runtime",
                                runtime.toString())
                        .redirectErrorStream(true)
                        .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();

        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains(", 0 failed").doesNotContain("not ok");
    }
}
