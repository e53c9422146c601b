package dev.bulwark.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

class SelfVerificationTest {

    @TempDir Path dir;

    private Path home;

    private final Clock clock = Clock.fixed(Instant.parse("2026-12-03T10:00:00Z"), ZoneOffset.UTC);

    @BeforeEach
    void runtime() throws Exception {
        home = TestRuntime.create(dir);
        TestRuntime.seal(home, Optional.empty());
    }

    private SelfVerification check() throws Exception {
        return SelfVerification.of(home, clock, Long.MAX_VALUE);
    }

    @Test
    void anUntouchedRuntimePassesEveryTime() throws Exception {
        SelfVerification v = check();
        assertThat(v.last()).isEmpty();

        SelfVerification.Status first = v.verifyNow();
        SelfVerification.Status second = v.verifyNow();

        assertThat(first.ok()).isTrue();
        assertThat(first.files()).isEqualTo(6);
        assertThat(second.pass()).isEqualTo(2);
        assertThat(second.checkedAt()).isEqualTo(clock.instant());
        assertThat(v.firstMismatch()).isEmpty();
        assertThat(v.manifestSha256())
                .isEqualTo(
                        Digests.sha256Hex(Files.readAllBytes(home.resolve(RuntimeManifest.FILE))));
    }

    @Test
    void aChangedByteIsFoundAndNamedAndRemembered() throws Exception {
        SelfVerification v = check();
        assertThat(v.verifyNow().ok()).isTrue();

        byte[] original = Files.readAllBytes(home.resolve("lib/modules"));
        TestRuntime.flipByte(home.resolve("lib/modules"), 1000);
        SelfVerification.Status s = v.verifyNow();

        assertThat(s.ok()).isFalse();
        assertThat(s.problem().orElseThrow())
                .startsWith("lib/modules: SHA-256 ")
                .contains("differs from the manifest's");
        assertThat(s.problems()).isEqualTo(1);

        // Putting the file back does not make the run trustworthy again.
        Files.write(home.resolve("lib/modules"), original);
        assertThat(v.verifyNow().ok()).isTrue();
        assertThat(v.firstMismatch()).hasValue(s);
    }

    @Test
    void aFileAndTheManifestChangedTogetherDoNotPass() throws Exception {
        SelfVerification v = check();
        TestRuntime.flipByte(home.resolve("app/re2j-1.8.jar"), 10);
        TestRuntime.seal(home, Optional.empty()); // a manifest that matches the changed file

        SelfVerification.Status s = v.verifyNow();

        assertThat(s.ok()).isFalse();
        assertThat(s.problem()).hasValue(RuntimeManifest.FILE + ": changed since start");
        assertThat(s.problems()).isEqualTo(2); // the manifest, and the jar against the old one
    }

    @Test
    void anAddedFileIsFound() throws Exception {
        SelfVerification v = check();
        Files.writeString(home.resolve("app/extra.jar"), "not ours");

        assertThat(v.verifyNow().problem()).hasValue("app/extra.jar: not in the manifest");
    }
}
