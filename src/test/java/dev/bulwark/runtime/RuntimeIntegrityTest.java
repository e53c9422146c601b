package dev.bulwark.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Optional;

class RuntimeIntegrityTest {

    @TempDir Path dir;

    @Test
    void acceptsAnUntouchedUnsignedRuntime() throws Exception {
        Path home = TestRuntime.create(dir);
        RuntimeManifest m = TestRuntime.seal(home, Optional.empty());

        Verification v = RuntimeIntegrity.verify(home);

        assertThat(v.problems()).isEmpty();
        assertThat(v.manifest()).contains(m);
        assertThat(m.files())
                .extracting(RuntimeManifest.Entry::path)
                .containsExactly(
                        "app/bulwark-1.2.3.jar",
                        "app/re2j-1.8.jar",
                        "bin/bulwark",
                        "lib/modules",
                        "policy/policy.json",
                        "policy/policy.sha256");
        assertThat(m.policyDigest())
                .isEqualTo(Digests.sha256Hex(TestRuntime.POLICY.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void namesAJarWithOneChangedByte() throws Exception {
        Path home = TestRuntime.create(dir);
        TestRuntime.seal(home, Optional.empty());
        TestRuntime.flipByte(home.resolve("app/re2j-1.8.jar"), 1000);

        Verification v = RuntimeIntegrity.verify(home);

        assertThat(v.ok()).isFalse();
        assertThat(v.firstProblem().orElseThrow()).startsWith("app/re2j-1.8.jar: SHA-256 ");
        assertThat(v.problems()).hasSize(1);
    }

    @Test
    void namesTheFirstMismatchingFileInPathOrder() throws Exception {
        Path home = TestRuntime.create(dir);
        TestRuntime.seal(home, Optional.empty());
        TestRuntime.flipByte(home.resolve("lib/modules"), 5);
        Files.writeString(home.resolve("bin/bulwark"), "#!/bin/sh\nexit 1\n");
        Files.delete(home.resolve("app/bulwark-1.2.3.jar"));
        Files.writeString(home.resolve("app/evil.jar"), "x");

        Verification v = RuntimeIntegrity.verify(home);

        assertThat(v.problems())
                .containsExactly(
                        "app/bulwark-1.2.3.jar: missing",
                        "app/evil.jar: not in the manifest",
                        v.problems().get(2),
                        v.problems().get(3));
        assertThat(v.problems().get(2)).startsWith("bin/bulwark: SHA-256 ");
        assertThat(v.problems().get(3)).startsWith("lib/modules: SHA-256 ");
    }

    @Test
    void refusesAChangedPolicyCopy() throws Exception {
        Path home = TestRuntime.create(dir);
        TestRuntime.seal(home, Optional.empty());
        TestRuntime.flipByte(home.resolve("policy/policy.json"), 2);

        assertThat(RuntimeIntegrity.verify(home).firstProblem().orElseThrow())
                .startsWith("policy/policy.json: SHA-256 ");
    }

    @Test
    void refusesSymbolicLinksEvenToRuntimeFiles() throws Exception {
        Path home = TestRuntime.create(dir);
        TestRuntime.seal(home, Optional.empty());
        Files.createSymbolicLink(home.resolve("lib/extra"), home.resolve("lib/modules"));

        assertThat(RuntimeIntegrity.verify(home).problems())
                .containsExactly("lib/extra: a symbolic link, not in the manifest");
    }

    @Test
    void refusesAManifestWhoseHashWasEditedInAnUnsignedRuntime() throws Exception {
        Path home = TestRuntime.create(dir);
        RuntimeManifest m = TestRuntime.seal(home, Optional.empty());
        Path manifest = home.resolve(RuntimeManifest.FILE);
        String hash = m.entry("lib/modules").orElseThrow().sha256();
        String edited = hash.substring(0, 63) + (hash.endsWith("0") ? "1" : "0");
        Files.writeString(manifest, Files.readString(manifest).replace(hash, edited));

        assertThat(RuntimeIntegrity.verify(home).firstProblem().orElseThrow())
                .startsWith("lib/modules: SHA-256 ");
    }

    @Test
    void refusesAManifestWhosePolicyDigestDisagreesWithThePolicy() throws Exception {
        Path home = TestRuntime.create(dir);
        RuntimeManifest m = TestRuntime.seal(home, Optional.empty());
        Path manifest = home.resolve(RuntimeManifest.FILE);
        Files.writeString(
                manifest,
                Files.readString(manifest)
                        .replace(
                                "\"policyDigest\": \"" + m.policyDigest(),
                                "\"policyDigest\": \"" + "0".repeat(64)));

        assertThat(RuntimeIntegrity.verify(home).firstProblem().orElseThrow())
                .isEqualTo(
                        "MANIFEST.json: policyDigest "
                                + "0".repeat(64)
                                + " differs from policy/policy.sha256 ("
                                + m.policyDigest()
                                + ")");
    }

    @Test
    void refusesAMissingOrUnreadableManifest() throws Exception {
        Path home = TestRuntime.create(dir);
        assertThat(RuntimeIntegrity.verify(home).problems())
                .containsExactly("MANIFEST.json: missing");

        Files.writeString(home.resolve(RuntimeManifest.FILE), "{\"format\": ");
        assertThat(RuntimeIntegrity.verify(home).firstProblem().orElseThrow())
                .startsWith(
                        "MANIFEST.json: not a valid manifest: offset 11: unexpected end of"
                                + " document");
    }

    @Test
    void acceptsASignedRuntimeAndAPinnedKey() throws Exception {
        Path home = TestRuntime.create(dir);
        KeyPair key = TestRuntime.key(dir, "signing");
        RuntimeManifest m = TestRuntime.seal(home, Optional.of(key));

        assertThat(m.signingKey().orElseThrow().fingerprint())
                .isEqualTo(Digests.sha256Hex(key.getPublic().getEncoded()));
        assertThat(RuntimeIntegrity.verify(home).problems()).isEmpty();
        assertThat(RuntimeIntegrity.verify(home, Optional.of(key.getPublic())).problems())
                .isEmpty();
        assertThat(RuntimeIntegrity.verifySignature(home).problems()).isEmpty();
    }

    @Test
    void refusesASignedManifestWithAnyByteChanged() throws Exception {
        Path home = TestRuntime.create(dir);
        TestRuntime.seal(home, Optional.of(TestRuntime.key(dir, "signing")));
        Path manifest = home.resolve(RuntimeManifest.FILE);
        // The version field: a change the file hashes cannot see, only the signature.
        Files.writeString(
                manifest,
                Files.readString(manifest)
                        .replace("\"version\": \"1.2.3\"", "\"version\": \"1.2.4\""));

        assertThat(RuntimeIntegrity.verify(home).firstProblem().orElseThrow())
                .startsWith(
                        "MANIFEST.json: the signature in MANIFEST.json.sig does not verify with key"
                                + " ");
        assertThat(RuntimeIntegrity.verifySignature(home).ok()).isFalse();
    }

    @Test
    void refusesASignedRuntimeWithoutItsSignature() throws Exception {
        Path home = TestRuntime.create(dir);
        TestRuntime.seal(home, Optional.of(TestRuntime.key(dir, "signing")));
        Files.delete(home.resolve(RuntimeManifest.SIGNATURE_FILE));

        assertThat(RuntimeIntegrity.verify(home).firstProblem().orElseThrow())
                .startsWith("MANIFEST.json.sig: missing");
    }

    @Test
    void refusesASignatureBesideAnUnsignedManifest() throws Exception {
        Path home = TestRuntime.create(dir);
        TestRuntime.seal(home, Optional.empty());
        Files.writeString(home.resolve(RuntimeManifest.SIGNATURE_FILE), "AAAA\n");

        assertThat(RuntimeIntegrity.verify(home).problems())
                .containsExactly(
                        "MANIFEST.json.sig: present, but the manifest names no signing key");
    }

    @Test
    void refusesARuntimeSignedByAnotherKeyThanThePinnedOne() throws Exception {
        Path home = TestRuntime.create(dir);
        KeyPair builder = TestRuntime.key(dir, "builder");
        KeyPair other = TestRuntime.key(dir, "other");
        TestRuntime.seal(home, Optional.of(other));

        Verification v =
                RuntimeIntegrity.verify(
                        home,
                        Optional.of(
                                RuntimeIntegrity.readPublicKey(
                                        TestRuntime.publicPem(
                                                dir, "builder", builder.getPublic()))));

        assertThat(v.firstProblem().orElseThrow())
                .isEqualTo(
                        "MANIFEST.json: signed by key "
                                + Digests.sha256Hex(other.getPublic().getEncoded())
                                + ", not by the required key "
                                + Digests.sha256Hex(builder.getPublic().getEncoded()));
    }

    @Test
    void refusesAnUnsignedRuntimeWhenAKeyIsPinned() throws Exception {
        Path home = TestRuntime.create(dir);
        TestRuntime.seal(home, Optional.empty());
        KeyPair key = TestRuntime.key(dir, "builder");

        assertThat(
                        RuntimeIntegrity.verify(home, Optional.of(key.getPublic()))
                                .firstProblem()
                                .orElseThrow())
                .startsWith("MANIFEST.json: unsigned, but a signature by key ");
    }

    @Test
    void aResignedManifestWithAnotherKeyStillVerifiesOnlyWithoutAPin() throws Exception {
        // What a signature can and cannot prove: whoever rewrites the whole runtime can sign it
        // with a key of their own; only a pinned key (bulwark verify --key) catches that.
        Path home = TestRuntime.create(dir);
        KeyPair builder = TestRuntime.key(dir, "builder");
        TestRuntime.seal(home, Optional.of(builder));
        Files.writeString(home.resolve("bin/bulwark"), "#!/bin/sh\necho pwned\n");
        TestRuntime.seal(home, Optional.of(TestRuntime.key(dir, "attacker")));

        assertThat(RuntimeIntegrity.verify(home).ok()).isTrue();
        assertThat(RuntimeIntegrity.verify(home, Optional.of(builder.getPublic())).ok()).isFalse();
    }

    @Test
    void outsideARuntimeServeRefusesUnlessDevelopmentIsAllowed() {
        assertThat(System.getProperty(RuntimeIntegrity.HOME_PROPERTY)).isNull();

        assertThat(RuntimeIntegrity.beforeServe(false))
                .isInstanceOfSatisfying(
                        ServeCheck.Refused.class,
                        r ->
                                assertThat(r.reason())
                                        .contains("not running from a Bulwark runtime")
                                        .contains("--development"));
        assertThat(RuntimeIntegrity.beforeServe(true)).isInstanceOf(ServeCheck.Development.class);
    }
}
