package dev.bulwark.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bulwark.cli.Cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The release record over a real (small) runtime archive, image file and Packer manifest: written,
 * signed, read back and checked; every altered field or file refused with the field named.
 */
class ReleaseRecordTest {

    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir Path dir;

    private KeyPair key;
    private Path keyPem;
    private Path publicPem;
    private Path home;
    private Path archive;
    private Path image;
    private Path packer;
    private String digest;

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

    @BeforeEach
    void release() throws Exception {
        key = TestRuntime.key(dir, "release");
        keyPem = dir.resolve("release.pem");
        publicPem = TestRuntime.publicPem(dir, "release", key.getPublic());
        home = TestRuntime.create(dir.resolve("build"));
        Files.writeString(home.resolve("sbom.cdx.json"), "{\"bomFormat\": \"CycloneDX\"}\n");
        RuntimeManifest m = TestRuntime.seal(home, Optional.of(key));
        digest = m.policyDigest();
        archive = dir.resolve("bulwark-1.2.3-" + digest.substring(0, 12) + ".tar.gz");
        RuntimeArchive.archive(home, archive, 0);
        String imageName = "bulwark-1.2.3-" + digest.substring(0, 12) + ".qcow2";
        image = dir.resolve(imageName);
        Files.write(image, new byte[] {'Q', 'F', 'I', 0xfb - 256, 0, 0, 0, 3});
        packer = dir.resolve("packer-manifest.json");
        Files.writeString(packer, packerManifest(imageName, digest));
    }

    private static String packerManifest(String imageName, String policyDigest) {
        return """
        {"builds": [{"name": "bulwark", "builder_type": "qemu", "build_time": 1,
          "files": [{"name": "%s", "size": 8}], "artifact_id": "VM",
          "packer_run_uuid": "u", "custom_data": {"image": "%s",
          "policy_digest": "%s", "version": "1.2.3"}}], "last_run_uuid": "u"}
        """
                .formatted(imageName, imageName, policyDigest);
    }

    private ReleaseRecord record(boolean signed) throws Exception {
        return ReleaseRecord.createWithKey(
                COMMIT, archive, image, packer, signed ? Optional.of(key) : Optional.empty());
    }

    private Path write(ReleaseRecord r) throws Exception {
        Path p = dir.resolve("release.json");
        Files.write(p, r.toJson());
        return p;
    }

    private List<Path> files() {
        return List.of(archive, image, packer);
    }

    @Test
    void aSignedRecordVerifiesAgainstItsFilesAndTheKey() throws Exception {
        ReleaseRecord r = record(true);

        ReleaseVerification v =
                ReleaseVerification.of(
                        write(r), files(), Optional.of(RuntimeIntegrity.readPublicKey(publicPem)));

        assertThat(v.problems()).isEmpty();
        assertThat(v.signature()).startsWith("signed by Ed25519 key ");
        assertThat(v.checked())
                .extracting(c -> c.substring(0, c.indexOf(':')))
                .containsExactly(
                        "runtime",
                        "runtimeManifest",
                        "runtimeSignature",
                        "sbom",
                        "image",
                        "packerManifest");
        assertThat(r.commit()).isEqualTo(COMMIT);
        assertThat(r.policyDigest()).isEqualTo(digest);
        assertThat(r.runtimeSignature()).isPresent();
    }

    @Test
    void theSignatureDigestANodeShowsIsTheOneTheRecordNames() throws Exception {
        // /version shows RuntimeIntegrity.signatureDigest: an auditor can tie a node to a record.
        assertThat(RuntimeIntegrity.signatureDigest(home))
                .contains(record(true).runtimeSignature().orElseThrow().sha256());
        Files.delete(home.resolve(RuntimeManifest.SIGNATURE_FILE));
        assertThat(RuntimeIntegrity.signatureDigest(home)).isEmpty();
    }

    @Test
    void readsBackToTheSameRecordAndBytes() throws Exception {
        ReleaseRecord r = record(true);

        ReleaseRecord back = ReleaseRecord.parse(r.toJson());

        assertThat(back).isEqualTo(r);
        assertThat(back.toJson()).isEqualTo(r.toJson());
    }

    /** Each case: the field, and how the record's JSON is altered. */
    private UnaryOperator<String> alteration(String field, ReleaseRecord r) throws Exception {
        String other = "ab".repeat(32);
        return switch (field) {
            case "format" -> j -> j.replace("bulwark-release/1", "bulwark-release/2");
            case "commit" -> j -> j.replace(COMMIT, "fedcba9876543210fedcba9876543210fedcba98");
            case "version" -> j -> j.replace("\"version\": \"1.2.3\"", "\"version\": \"1.2.4\"");
            case "policyDigest" ->
                    j -> j.replace("\"policyDigest\": \"" + digest, "\"policyDigest\": \"" + other);
            case "runtime.name" ->
                    j -> j.replace(archive.getFileName().toString(), "bulwark-9.tar.gz");
            case "runtime.sha256" -> sha(r.runtime().sha256(), other);
            case "runtimeManifest.sha256" -> sha(r.runtimeManifest().sha256(), other);
            case "runtimeSignature.sha256" ->
                    sha(r.runtimeSignature().orElseThrow().sha256(), other);
            case "sbom.sha256" -> sha(r.sbom().sha256(), other);
            case "image.name" ->
                    j ->
                            j.replace(
                                    "\"name\": \"" + image.getFileName(),
                                    "\"name\": \"bulwark-9.qcow2");
            case "image.sha256" -> sha(r.image().sha256(), other);
            case "packerManifest.name" ->
                    j -> j.replace("\"packer-manifest.json\"", "\"packer.json\"");
            case "packerManifest.sha256" -> sha(r.packerManifest().sha256(), other);
            case "signingKey" -> {
                KeyPair k = TestRuntime.key(dir, "other");
                RuntimeManifest.SigningKey mine = r.signingKey().orElseThrow();
                RuntimeManifest.SigningKey theirs = RuntimeManifest.SigningKey.of(k.getPublic());
                yield j ->
                        j.replace(mine.publicKey(), theirs.publicKey())
                                .replace(mine.fingerprint(), theirs.fingerprint());
            }
            case "signature" -> {
                String forged =
                        Base64.getEncoder()
                                .encodeToString(
                                        Signing.sign(
                                                key, "other".getBytes(StandardCharsets.US_ASCII)));
                yield j -> j.replace(r.signature().orElseThrow(), forged);
            }
            default -> throw new IllegalArgumentException(field);
        };
    }

    private static UnaryOperator<String> sha(String from, String to) {
        return j -> {
            assertThat(j).contains(from);
            return j.replace(from, to);
        };
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "format",
                "commit",
                "version",
                "policyDigest",
                "runtime.name",
                "runtime.sha256",
                "runtimeManifest.sha256",
                "runtimeSignature.sha256",
                "sbom.sha256",
                "image.name",
                "image.sha256",
                "packerManifest.name",
                "packerManifest.sha256",
                "signingKey",
                "signature"
            })
    void anAlteredFieldIsRefusedWithTheFieldNamed(String field) throws Exception {
        ReleaseRecord r = record(true);
        String json = new String(r.toJson(), StandardCharsets.UTF_8);
        String altered = alteration(field, r).apply(json);
        assertThat(altered).isNotEqualTo(json);
        Path p = dir.resolve("altered.json");
        Files.writeString(p, altered);

        ReleaseVerification v =
                ReleaseVerification.of(
                        p, files(), Optional.of(RuntimeIntegrity.readPublicKey(publicPem)));

        assertThat(v.ok()).isFalse();
        assertThat(v.problems().getFirst()).as(v.problems().toString()).startsWith(field);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "commit",
                "version",
                "policyDigest",
                "runtime.sha256",
                "runtimeManifest.sha256",
                "runtimeSignature.sha256",
                "sbom.sha256",
                "image.name",
                "image.sha256",
                "packerManifest.sha256"
            })
    void anUnsignedRecordStillRefusesAnAlteredFieldItsFilesContradict(String field)
            throws Exception {
        ReleaseRecord r = record(false);
        String json = new String(r.toJson(), StandardCharsets.UTF_8);
        Path p = dir.resolve("altered.json");
        Files.writeString(p, alteration(field, r).apply(json));

        ReleaseVerification v = ReleaseVerification.of(p, files(), Optional.empty());

        assertThat(v.problems()).isNotEmpty();
        assertThat(v.problems().getFirst()).as(v.problems().toString()).startsWith(field);
    }

    @ParameterizedTest
    @ValueSource(strings = {"runtime", "image", "packerManifest"})
    void anAlteredFileIsRefusedWithItsFieldNamed(String field) throws Exception {
        Path record = write(record(true));
        Path file =
                switch (field) {
                    case "runtime" -> archive;
                    case "image" -> image;
                    default -> packer;
                };
        TestRuntime.flipByte(file, -2);

        ReleaseVerification v = ReleaseVerification.of(record, files(), Optional.empty());

        assertThat(v.problems().getFirst()).startsWith(field + ".sha256: the record says ");
    }

    @Test
    void anUnsignedRecordVerifiesOnlyItsHashesAndSaysSo() throws Exception {
        Path record = write(record(false));

        int code = cli("verify-release", record.toString(), archive.toString(), image.toString());

        assertThat(code).as(err()).isZero();
        assertThat(out())
                .contains("5 file(s) match")
                .contains("unsigned: only the hashes were checked");
    }

    @Test
    void anUnsignedRecordIsRefusedWhenAKeyIsRequired() throws Exception {
        Path record = write(record(false));

        int code = cli("verify-release", record.toString(), "--key", publicPem.toString());

        assertThat(code).isEqualTo(1);
        assertThat(err()).contains("  signingKey: the record is unsigned, but a signature by key ");
    }

    @Test
    void theCommandWritesASignedRecordThatTheVerifierAccepts() throws Exception {
        Path out = dir.resolve("release.json");
        int code =
                cli(
                        "release",
                        "record",
                        "--commit",
                        COMMIT,
                        "--runtime",
                        archive.toString(),
                        "--image",
                        image.toString(),
                        "--packer-manifest",
                        packer.toString(),
                        "--key",
                        keyPem.toString(),
                        "--out",
                        out.toString());
        assertThat(code).as(err()).isZero();

        code =
                cli(
                        "verify-release",
                        out.toString(),
                        archive.toString(),
                        image.toString(),
                        packer.toString(),
                        "--key",
                        publicPem.toString());

        assertThat(code).as(err()).isZero();
        assertThat(out())
                .contains("verified " + out + ": commit " + COMMIT)
                .contains("(the required key)");
    }

    @Test
    void aFileTheRecordDoesNotNameIsRefused() throws Exception {
        Path record = write(record(true));
        Path stray = dir.resolve("notes.txt");
        Files.writeString(stray, "hello");

        ReleaseVerification v = ReleaseVerification.of(record, List.of(stray), Optional.empty());

        assertThat(v.problems()).containsExactly(stray + ": the record names no file 'notes.txt'");
    }

    @Test
    void refusesToRecordInputsThatDoNotBelongTogether() throws Exception {
        assertThatThrownBy(
                        () ->
                                ReleaseRecord.createWithKey(
                                        "fedcba9876543210fedcba9876543210fedcba98",
                                        archive,
                                        image,
                                        packer,
                                        Optional.empty()))
                .hasMessageContaining("is not the runtime's commit");
        KeyPair other = TestRuntime.key(dir, "other");
        assertThatThrownBy(
                        () ->
                                ReleaseRecord.createWithKey(
                                        COMMIT, archive, image, packer, Optional.of(other)))
                .hasMessageContaining("is not the runtime's signing key");
        Files.writeString(packer, packerManifest("bulwark-1.2.2-000000000000.qcow2", digest));
        assertThatThrownBy(() -> record(false))
                .hasMessageContaining("Packer built image 'bulwark-1.2.2-000000000000.qcow2'");
    }

    private int cli(String... args) {
        return Cli.run(
                args,
                new PrintStream(outBytes, true, StandardCharsets.UTF_8),
                new PrintStream(errBytes, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }
}
