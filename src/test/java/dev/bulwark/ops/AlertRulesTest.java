package dev.bulwark.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Prometheus alert rules are valid ({@code promtool check rules}) and do what their unit tests
 * say ({@code promtool test rules}): each alert fires on series that should fire it and stays quiet
 * otherwise. promtool is Debian's {@code prometheus} package (installed by .ci/run).
 */
class AlertRulesTest {

    private static final Path RULES = Path.of("src/ops/prometheus/bulwark-alerts.yml");
    private static final Path TESTS = Path.of("src/ops/prometheus/bulwark-alerts-test.yml");

    private record Run(int exit, String output) {}

    private static Run promtool(String... args) throws Exception {
        Path promtool =
                List.of("/usr/bin/promtool", "/usr/local/bin/promtool").stream()
                        .map(Path::of)
                        .filter(Files::isExecutable)
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new AssertionError(
                                                "promtool is not installed: apt-get install -y"
                                                        + " prometheus"));
        List<String> command = new java.util.ArrayList<>(List.of(promtool.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("promtool finished").isTrue();
        return new Run(p.exitValue(), output);
    }

    @Test
    void rulesPassPromtoolsCheck() throws Exception {
        Run run = promtool("check", "rules", RULES.toString());

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).contains("SUCCESS");
    }

    @Test
    void everyAlertFiresOnlyWhereItsUnitTestsSay() throws Exception {
        Run run = promtool("test", "rules", TESTS.toString());

        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).contains("SUCCESS");
    }

    @Test
    void everyAlertHasAUnitTest() throws Exception {
        String rules = Files.readString(RULES);
        String tests = Files.readString(TESTS);
        java.util.regex.Matcher alert =
                java.util.regex.Pattern.compile("(?m)^\\s*- alert: (\\w+)").matcher(rules);
        int alerts = 0;
        while (alert.find()) {
            alerts++;
            assertThat(tests).contains("alertname: " + alert.group(1));
        }
        assertThat(alerts).isGreaterThanOrEqualTo(6);
    }
}
