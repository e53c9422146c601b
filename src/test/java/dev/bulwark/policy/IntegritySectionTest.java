package dev.bulwark.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.check.IntegritySettings;

import org.junit.jupiter.api.Test;

import java.time.Duration;

class IntegritySectionTest {

    private static CompiledPolicy compile(String yaml) throws PolicyException {
        return CompiledPolicy.fromCanonical("inbound.yaml", yaml);
    }

    @Test
    void withoutTheSectionTheNodeChecksEveryFiveMinutesAndRefusesMailOnAMismatch()
            throws PolicyException {
        CompiledPolicy p = compile("relay-domains: [example.com]\n");
        assertThat(p.integrity()).isEqualTo(IntegritySettings.DEFAULTS);
        assertThat(p.integrity().interval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(p.canonicalForm())
                .contains(
                        "\"integrity\": {\n    \"interval\": \"300s\",\n"
                                + "    \"on-mismatch\": \"refuse-mail\"\n  }");
    }

    @Test
    void theSectionSetsIntervalAndWhatAMismatchDoes() throws PolicyException {
        CompiledPolicy p =
                compile(
                        "relay-domains: [example.com]\n"
                                + "integrity: {interval: 1m, on-mismatch: report}\n");
        assertThat(p.integrity())
                .isEqualTo(
                        new IntegritySettings(
                                Duration.ofMinutes(1), IntegritySettings.OnMismatch.REPORT));
    }

    @Test
    void theSettingsAreCoveredByTheDigest() throws PolicyException {
        String base = "relay-domains: [example.com]\n";
        String digest = compile(base).digest();
        assertThat(compile(base + "integrity: {interval: 5m}\n").digest()).isEqualTo(digest);
        assertThat(compile(base + "integrity: {on-mismatch: report}\n").digest())
                .isNotEqualTo(digest);
    }

    @Test
    void theCanonicalFormCompilesToTheSameSettings() throws PolicyException {
        CompiledPolicy p =
                compile(
                        "relay-domains: [example.com]\n"
                                + "integrity: {interval: 90s, on-mismatch: report}\n");
        CompiledPolicy again = compile(p.canonicalForm());
        assertThat(again.integrity()).isEqualTo(p.integrity());
        assertThat(again.digest()).isEqualTo(p.digest());
    }
}
