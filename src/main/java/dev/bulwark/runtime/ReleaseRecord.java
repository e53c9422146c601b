package dev.bulwark.runtime;

import dev.bulwark.json.Json;
import dev.bulwark.json.JsonReader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What one release is, in one JSON document written by the image stage next to the image: the git
 * commit, the policy digest, and the SHA-256 of the runtime archive, of the runtime's manifest, its
 * signature and its SBOM, of the image and of Packer's manifest. Signed (Ed25519, embedded {@code
 * signature}) with the same key as the runtime manifest when one is given; {@link
 * ReleaseVerification#of} checks a record against the files it names.
 *
 * <p>The signature covers {@link #signedBytes()}: the JSON form with {@code "signature": null}. The
 * JSON form is a pure function of the record, so a record reads back to the same bytes.
 *
 * @param commit the git commit the release was built from
 * @param version the runtime's version
 * @param policyDigest the digest of the policy compiled into the runtime
 * @param runtime the runtime archive ({@code bulwark-VERSION-DIGEST12.tar.gz})
 * @param runtimeManifest {@code bulwark/MANIFEST.json} inside the archive
 * @param runtimeSignature {@code bulwark/MANIFEST.json.sig} inside the archive; empty when the
 *     runtime is unsigned
 * @param sbom {@code bulwark/sbom.cdx.json} inside the archive
 * @param image the qcow2 image
 * @param packerManifest Packer's {@code packer-manifest.json}
 * @param signingKey the key that signed this record; empty when unsigned
 * @param signature base64 Ed25519 signature over {@link #signedBytes()}; empty when unsigned
 */
public record ReleaseRecord(
        String commit,
        String version,
        String policyDigest,
        Artifact runtime,
        Artifact runtimeManifest,
        Optional<Artifact> runtimeSignature,
        Artifact sbom,
        Artifact image,
        Artifact packerManifest,
        Optional<RuntimeManifest.SigningKey> signingKey,
        Optional<String> signature) {

    static final String FORMAT = "bulwark-release/1";

    /** The names of the archive's files the record describes. */
    static final String MANIFEST_IN_ARCHIVE = Packager.ROOT + "/" + RuntimeManifest.FILE;

    static final String SIGNATURE_IN_ARCHIVE = Packager.ROOT + "/" + RuntimeManifest.SIGNATURE_FILE;
    static final String SBOM_IN_ARCHIVE = Packager.ROOT + "/sbom.cdx.json";

    /** The document's members, in order: a parser refuses others. */
    static final List<String> FIELDS =
            List.of(
                    "format",
                    "commit",
                    "version",
                    "policyDigest",
                    "runtime",
                    "runtimeManifest",
                    "runtimeSignature",
                    "sbom",
                    "image",
                    "packerManifest",
                    "signingKey",
                    "signature");

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public ReleaseRecord {
        text("commit", commit);
        text("version", version);
        if (!HEX64.matcher(policyDigest).matches()) {
            throw new IllegalArgumentException(
                    "policyDigest: '" + policyDigest + "' is not 64 lowercase hex digits");
        }
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(runtimeManifest, "runtimeManifest");
        Objects.requireNonNull(runtimeSignature, "runtimeSignature");
        Objects.requireNonNull(sbom, "sbom");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(packerManifest, "packerManifest");
        Objects.requireNonNull(signingKey, "signingKey");
        Objects.requireNonNull(signature, "signature");
    }

    /**
     * One file of the release.
     *
     * @param name the file's name (no directory: where it lies differs from machine to machine), or
     *     its path inside the runtime archive
     * @param sha256 64 lowercase hex digits
     */
    public record Artifact(String name, String sha256) {
        public Artifact {
            text("name", name);
            if (!HEX64.matcher(sha256).matches()) {
                throw new IllegalArgumentException(
                        "sha256: '" + sha256 + "' is not 64 lowercase hex digits");
            }
        }

        /** The file name without the directory. */
        public String fileName() {
            return name.substring(name.lastIndexOf('/') + 1);
        }
    }

    /**
     * The record of a release from its files; signed when {@code key} is given.
     *
     * @throws IOException naming the file that cannot be read
     * @throws IllegalArgumentException naming the input that does not fit the others: a commit
     *     other than the runtime's, a runtime signed by another key, a Packer manifest for another
     *     image or policy
     */
    public static ReleaseRecord create(
            String commit,
            Path runtimeArchive,
            Path image,
            Path packerManifest,
            Optional<Path> privateKeyPem)
            throws IOException {
        Optional<KeyPair> key =
                privateKeyPem.isEmpty()
                        ? Optional.empty()
                        : Optional.of(Signing.readPrivateKey(privateKeyPem.get()));
        return createWithKey(commit, runtimeArchive, image, packerManifest, key);
    }

    /** As {@link #create(String, Path, Path, Path, Optional)}, with the key already read. */
    static ReleaseRecord createWithKey(
            String commit,
            Path runtimeArchive,
            Path image,
            Path packerManifest,
            Optional<KeyPair> key)
            throws IOException {
        Map<String, byte[]> inside =
                ArchiveEntries.read(
                        runtimeArchive,
                        Set.of(MANIFEST_IN_ARCHIVE, SIGNATURE_IN_ARCHIVE, SBOM_IN_ARCHIVE));
        byte[] manifestBytes = inside.get(MANIFEST_IN_ARCHIVE);
        if (manifestBytes == null) {
            throw new IllegalArgumentException(
                    runtimeArchive + ": no " + MANIFEST_IN_ARCHIVE + ": not a Bulwark runtime");
        }
        byte[] sbom = inside.get(SBOM_IN_ARCHIVE);
        if (sbom == null) {
            throw new IllegalArgumentException(runtimeArchive + ": no " + SBOM_IN_ARCHIVE);
        }
        RuntimeManifest m;
        try {
            m = RuntimeManifest.parse(manifestBytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    runtimeArchive + ": " + MANIFEST_IN_ARCHIVE + ": " + e.getMessage(), e);
        }
        if (!m.commit().equals("unknown") && !m.commit().equals(commit)) {
            throw new IllegalArgumentException(
                    "'"
                            + commit
                            + "' is not the runtime's commit: "
                            + runtimeArchive
                            + " was built from "
                            + m.commit());
        }
        if (key.isPresent() && m.signingKey().isPresent()) {
            String given = Digests.sha256Hex(key.get().getPublic().getEncoded());
            if (!given.equals(m.signingKey().get().fingerprint())) {
                throw new IllegalArgumentException(
                        "the key "
                                + given
                                + " is not the runtime's signing key "
                                + m.signingKey().get().fingerprint()
                                + ": sign the release with the key that signed the runtime");
            }
        }
        Artifact imageArtifact = file(image);
        PackerManifest.read(packerManifest)
                .mismatch(imageArtifact.name(), m.policyDigest())
                .ifPresent(
                        p -> {
                            throw new IllegalArgumentException(packerManifest + ": " + p);
                        });
        byte[] sig = inside.get(SIGNATURE_IN_ARCHIVE);
        ReleaseRecord unsigned =
                new ReleaseRecord(
                        commit,
                        m.version(),
                        m.policyDigest(),
                        file(runtimeArchive),
                        new Artifact(MANIFEST_IN_ARCHIVE, Digests.sha256Hex(manifestBytes)),
                        Optional.ofNullable(sig)
                                .map(s -> new Artifact(SIGNATURE_IN_ARCHIVE, Digests.sha256Hex(s))),
                        new Artifact(SBOM_IN_ARCHIVE, Digests.sha256Hex(sbom)),
                        imageArtifact,
                        file(packerManifest),
                        key.map(k -> RuntimeManifest.SigningKey.of(k.getPublic())),
                        Optional.empty());
        if (key.isEmpty()) {
            return unsigned;
        }
        byte[] s = Signing.sign(key.get(), unsigned.signedBytes());
        return unsigned.withSignature(Base64.getEncoder().encodeToString(s));
    }

    private static Artifact file(Path p) throws IOException {
        return new Artifact(p.getFileName().toString(), Digests.sha256Hex(p));
    }

    /** A copy with {@code signature}. */
    public ReleaseRecord withSignature(String signature) {
        return new ReleaseRecord(
                commit,
                version,
                policyDigest,
                runtime,
                runtimeManifest,
                runtimeSignature,
                sbom,
                image,
                packerManifest,
                signingKey,
                Optional.of(signature));
    }

    /** The files the record names, by field name, in document order. */
    public Map<String, Artifact> artifacts() {
        Map<String, Artifact> m = new LinkedHashMap<>();
        m.put("runtime", runtime);
        m.put("runtimeManifest", runtimeManifest);
        runtimeSignature.ifPresent(a -> m.put("runtimeSignature", a));
        m.put("sbom", sbom);
        m.put("image", image);
        m.put("packerManifest", packerManifest);
        return m;
    }

    /** What the signature covers: the JSON form without the signature. */
    public byte[] signedBytes() {
        return json(Optional.empty());
    }

    /** The document: UTF-8 JSON, fixed member order, trailing newline. */
    public byte[] toJson() {
        return json(signature);
    }

    /**
     * Whether the signature verifies with the record's own key (not whether that key is trusted).
     */
    boolean signatureVerifies() {
        if (signingKey.isEmpty() || signature.isEmpty()) {
            return false;
        }
        PublicKey k = signingKey.get().key();
        byte[] sig;
        try {
            sig = Base64.getDecoder().decode(signature.get());
        } catch (IllegalArgumentException e) {
            return false;
        }
        return Signing.verify(k, signedBytes(), sig);
    }

    private byte[] json(Optional<String> sig) {
        StringBuilder sb = new StringBuilder(1024).append("{\n");
        field(sb, "format").append(quote(FORMAT)).append(",\n");
        field(sb, "commit").append(quote(commit)).append(",\n");
        field(sb, "version").append(quote(version)).append(",\n");
        field(sb, "policyDigest").append(quote(policyDigest)).append(",\n");
        artifact(sb, "runtime", Optional.of(runtime));
        artifact(sb, "runtimeManifest", Optional.of(runtimeManifest));
        artifact(sb, "runtimeSignature", runtimeSignature);
        artifact(sb, "sbom", Optional.of(sbom));
        artifact(sb, "image", Optional.of(image));
        artifact(sb, "packerManifest", Optional.of(packerManifest));
        field(sb, "signingKey");
        if (signingKey.isPresent()) {
            RuntimeManifest.SigningKey k = signingKey.get();
            sb.append("{\"algorithm\": ")
                    .append(quote(k.algorithm()))
                    .append(", \"publicKey\": ")
                    .append(quote(k.publicKey()))
                    .append(", \"fingerprint\": ")
                    .append(quote(k.fingerprint()))
                    .append("},\n");
        } else {
            sb.append("null,\n");
        }
        field(sb, "signature").append(sig.map(ReleaseRecord::quote).orElse("null")).append('\n');
        return sb.append("}\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void artifact(StringBuilder sb, String name, Optional<Artifact> a) {
        field(sb, name);
        if (a.isEmpty()) {
            sb.append("null,\n");
            return;
        }
        sb.append("{\"name\": ")
                .append(quote(a.get().name()))
                .append(", \"sha256\": ")
                .append(quote(a.get().sha256()))
                .append("},\n");
    }

    /**
     * Reads a record written by {@link #toJson()}.
     *
     * @throws IllegalArgumentException starting with the name of the field that is wrong
     */
    public static ReleaseRecord parse(byte[] json) {
        Object root;
        try {
            root = JsonReader.parse(new String(json, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        for (Object k : m.keySet()) {
            if (!FIELDS.contains(k)) {
                throw new IllegalArgumentException(k + ": not a field of a release record");
            }
        }
        String format = string(m, "format");
        if (!format.equals(FORMAT)) {
            throw new IllegalArgumentException(
                    "format: '" + format + "' is not supported: expected " + FORMAT);
        }
        Optional<RuntimeManifest.SigningKey> key =
                optional(m, "signingKey")
                        .map(
                                k -> {
                                    Map<?, ?> km = object(k, "signingKey");
                                    return within(
                                            "signingKey",
                                            () ->
                                                    new RuntimeManifest.SigningKey(
                                                            string(km, "algorithm"),
                                                            string(km, "publicKey"),
                                                            string(km, "fingerprint")));
                                });
        Optional<String> sig =
                optional(m, "signature")
                        .map(
                                s -> {
                                    if (!(s instanceof String t)) {
                                        throw new IllegalArgumentException(
                                                "signature: must be a string or null");
                                    }
                                    return t;
                                });
        return within(
                "",
                () ->
                        new ReleaseRecord(
                                string(m, "commit"),
                                string(m, "version"),
                                string(m, "policyDigest"),
                                artifact(m, "runtime"),
                                artifact(m, "runtimeManifest"),
                                optional(m, "runtimeSignature")
                                        .map(a -> artifact(a, "runtimeSignature")),
                                artifact(m, "sbom"),
                                artifact(m, "image"),
                                artifact(m, "packerManifest"),
                                key,
                                sig));
    }

    private static Artifact artifact(Map<?, ?> m, String field) {
        Object a = m.get(field);
        if (a == null) {
            throw new IllegalArgumentException(field + ": missing");
        }
        return artifact(a, field);
    }

    private static Artifact artifact(Object a, String field) {
        Map<?, ?> am = object(a, field);
        for (Object k : am.keySet()) {
            if (!k.equals("name") && !k.equals("sha256")) {
                throw new IllegalArgumentException(field + "." + k + ": not a field of a file");
            }
        }
        return within(field, () -> new Artifact(string(am, "name"), string(am, "sha256")));
    }

    /** Runs {@code f}, prefixing the field name to its complaint. */
    private static <T> T within(String field, java.util.function.Supplier<T> f) {
        try {
            return f.get();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            String joint = m.matches("[A-Za-z0-9]+: .*") ? "." : ": ";
            throw new IllegalArgumentException((field.isEmpty() ? "" : field + joint) + m, e);
        }
    }

    private static Optional<Object> optional(Map<?, ?> m, String field) {
        if (!m.containsKey(field)) {
            throw new IllegalArgumentException(field + ": missing");
        }
        Object v = m.get(field);
        return v == JsonReader.NULL ? Optional.empty() : Optional.of(v);
    }

    private static Map<?, ?> object(Object o, String field) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(field + ": must be a JSON object");
        }
        return m;
    }

    private static String string(Map<?, ?> m, String field) {
        Object v = m.get(field);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException(
                    field + (v == null ? ": missing" : ": must be a string"));
        }
        return s;
    }

    private static void text(String field, String value) {
        if (value.isBlank()) {
            throw new IllegalArgumentException(field + ": must not be empty");
        }
    }

    private static StringBuilder field(StringBuilder sb, String name) {
        return sb.append("  ").append(quote(name)).append(": ");
    }

    private static String quote(String s) {
        return Json.string(new StringBuilder(), s).toString();
    }
}
