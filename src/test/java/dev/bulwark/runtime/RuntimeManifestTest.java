package dev.bulwark.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.util.List;
import java.util.Optional;

class RuntimeManifestTest {

    private static final String A = "a".repeat(64);
    private static final String B = "b".repeat(64);

    private static RuntimeManifest manifest(Optional<RuntimeManifest.SigningKey> key) {
        return new RuntimeManifest(
                "0.1.0",
                "abc123",
                true,
                A,
                "25.0.3+9-LTS",
                key,
                List.of(
                        new RuntimeManifest.Entry("app/x.jar", 10, B),
                        new RuntimeManifest.Entry("bin/bulwark", 0, A)));
    }

    @Test
    void readsBackWhatItWrites() throws Exception {
        var key =
                RuntimeManifest.SigningKey.of(
                        KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic());
        for (RuntimeManifest m : List.of(manifest(Optional.empty()), manifest(Optional.of(key)))) {
            assertThat(RuntimeManifest.parse(m.toJson())).isEqualTo(m);
        }
    }

    @Test
    void writesOneFilePerLineInAFixedKeyOrder() {
        String json = new String(manifest(Optional.empty()).toJson(), StandardCharsets.UTF_8);

        assertThat(json)
                .isEqualTo(
                        """
                        {
                          "format": "bulwark-runtime-manifest/1",
                          "version": "0.1.0",
                          "commit": "abc123",
                          "dirty": true,
                          "policyDigest": "%s",
                          "jdk": "25.0.3+9-LTS",
                          "signingKey": null,
                          "files": [
                            {"path": "app/x.jar", "size": 10, "sha256": "%s"},
                            {"path": "bin/bulwark", "size": 0, "sha256": "%s"}
                          ]
                        }
                        """
                                .formatted(A, B, A));
    }

    @Test
    void refusesFilesOutOfOrderOrTwice() {
        var e = new RuntimeManifest.Entry("b", 1, A);
        assertThatThrownBy(
                        () ->
                                new RuntimeManifest(
                                        "1",
                                        "c",
                                        false,
                                        A,
                                        "25",
                                        Optional.empty(),
                                        List.of(e, new RuntimeManifest.Entry("a", 1, A))))
                .hasMessage("files are not sorted and unique at 'a'");
        assertThatThrownBy(
                        () ->
                                new RuntimeManifest(
                                        "1", "c", false, A, "25", Optional.empty(), List.of(e, e)))
                .hasMessage("files are not sorted and unique at 'b'");
    }

    @Test
    void refusesPathsThatEscapeTheRuntime() {
        for (String bad : List.of("../etc/passwd", "/etc/passwd", "a//b", "a/./b", "a/", "a\\b")) {
            assertThatThrownBy(() -> new RuntimeManifest.Entry(bad, 1, A))
                    .hasMessage("'" + bad + "' is not a valid runtime path");
        }
    }

    @Test
    void namesWhatIsWrongWithAMalformedManifest() {
        String good = new String(manifest(Optional.empty()).toJson(), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> parse(good.replace("bulwark-runtime-manifest/1", "other/2")))
                .hasMessage(
                        "unsupported manifest format 'other/2': expected"
                                + " bulwark-runtime-manifest/1");
        assertThatThrownBy(() -> parse(good.replace("\"size\": 10", "\"size\": 1.5")))
                .hasMessageContaining("only integers are expected");
        assertThatThrownBy(
                        () ->
                                parse(
                                        good.replace(
                                                "\"dirty\": true,",
                                                "\"dirty\": true, \"dirty\": false,")))
                .hasMessageContaining("duplicate key 'dirty'");
        assertThatThrownBy(() -> parse(good.replace("  \"jdk\": \"25.0.3+9-LTS\",\n", "")))
                .hasMessage("missing key 'jdk'");
        assertThatThrownBy(() -> parse(good + "x"))
                .hasMessageContaining("unexpected text after the document");
        assertThatThrownBy(() -> parse(good.replace(B, "B".repeat(64))))
                .hasMessage("'" + "B".repeat(64) + "' is not a valid sha256 for 'app/x.jar'");
    }

    private static RuntimeManifest parse(String json) {
        return RuntimeManifest.parse(json.getBytes(StandardCharsets.UTF_8));
    }
}
