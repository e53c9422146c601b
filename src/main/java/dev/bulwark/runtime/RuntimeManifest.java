package dev.bulwark.runtime;

import dev.bulwark.json.Json;
import dev.bulwark.json.JsonReader;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a runtime is: the build that produced it and the SHA-256 of every file in it. Written at
 * build time as {@value #FILE} at the top of the runtime (optionally signed, see {@link
 * SigningKey}), read back by {@link RuntimeIntegrity}. The JSON form is a pure function of the
 * record, so two builds of one commit write identical manifests.
 *
 * @param version the project version
 * @param commit the git commit the runtime was built from, or {@code unknown} outside a git
 *     checkout
 * @param dirty whether the checkout had uncommitted changes when it was built
 * @param policyDigest the SHA-256 of the compiled policy inside the runtime (64 hex digits)
 * @param jdk the version of the JDK whose modules were linked
 * @param signingKey the key whose signature is in {@value #SIGNATURE_FILE}; empty for an unsigned
 *     runtime
 * @param files every file of the runtime except the manifest and its signature, sorted by path
 */
public record RuntimeManifest(
        String version,
        String commit,
        boolean dirty,
        String policyDigest,
        String jdk,
        Optional<SigningKey> signingKey,
        List<Entry> files) {

    /** The manifest's file name, at the top of the runtime directory. */
    public static final String FILE = "MANIFEST.json";

    /** The detached Ed25519 signature over the manifest's bytes, base64 on one line. */
    public static final String SIGNATURE_FILE = "MANIFEST.json.sig";

    static final String FORMAT = "bulwark-runtime-manifest/1";

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public RuntimeManifest {
        requireText("version", version);
        requireText("commit", commit);
        requireText("jdk", jdk);
        if (!HEX64.matcher(policyDigest).matches()) {
            throw new IllegalArgumentException(
                    "'"
                            + policyDigest
                            + "' is not a valid policyDigest: expected 64 lowercase hex digits");
        }
        files = List.copyOf(files);
        for (int i = 1; i < files.size(); i++) {
            if (files.get(i - 1).path().compareTo(files.get(i).path()) >= 0) {
                throw new IllegalArgumentException(
                        "files are not sorted and unique at '" + files.get(i).path() + "'");
            }
        }
    }

    /**
     * One runtime file.
     *
     * @param path relative to the runtime directory, '/'-separated
     * @param size in bytes
     * @param sha256 64 lowercase hex digits
     */
    public record Entry(String path, long size, String sha256) {
        public Entry {
            if (path.isEmpty()
                    || path.startsWith("/")
                    || path.contains("\\")
                    || path.endsWith("/")
                    || List.of(path.split("/")).stream()
                            .anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))) {
                throw new IllegalArgumentException("'" + path + "' is not a valid runtime path");
            }
            if (size < 0) {
                throw new IllegalArgumentException(
                        size + " is not a valid size for '" + path + "'");
            }
            if (!HEX64.matcher(sha256).matches()) {
                throw new IllegalArgumentException(
                        "'" + sha256 + "' is not a valid sha256 for '" + path + "'");
            }
        }
    }

    /**
     * The public half of the key that signed the manifest, baked into the manifest itself so that
     * the runtime can check its own signature. A signature only proves who built the runtime when
     * the fingerprint is compared with one known from elsewhere ({@code bulwark verify --key}).
     *
     * @param algorithm always {@code Ed25519}
     * @param publicKey base64 of the X.509 SubjectPublicKeyInfo encoding
     * @param fingerprint SHA-256 of that encoding, hex ({@code openssl pkey -pubin -outform DER |
     *     sha256sum})
     */
    public record SigningKey(String algorithm, String publicKey, String fingerprint) {
        public SigningKey {
            if (!algorithm.equals("Ed25519")) {
                throw new IllegalArgumentException(
                        "'"
                                + algorithm
                                + "' is not a supported signature algorithm: expected Ed25519");
            }
            if (!HEX64.matcher(fingerprint).matches()) {
                throw new IllegalArgumentException(
                        "'" + fingerprint + "' is not a valid key fingerprint");
            }
        }

        static SigningKey of(PublicKey key) {
            byte[] der = key.getEncoded();
            return new SigningKey(
                    "Ed25519", Base64.getEncoder().encodeToString(der), Digests.sha256Hex(der));
        }

        /**
         * The key itself; fails when the encoding is not an Ed25519 key or does not match the
         * fingerprint.
         */
        PublicKey key() {
            byte[] der;
            try {
                der = Base64.getDecoder().decode(publicKey);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the signing key is not valid base64");
            }
            if (!Digests.sha256Hex(der).equals(fingerprint)) {
                throw new IllegalArgumentException(
                        "the signing key does not match its fingerprint " + fingerprint);
            }
            try {
                return KeyFactory.getInstance("Ed25519")
                        .generatePublic(new X509EncodedKeySpec(der));
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalArgumentException(
                        "the signing key is not an Ed25519 public key: " + e.getMessage());
            }
        }
    }

    /** The size and digest recorded for {@code path}, if the runtime has such a file. */
    public Optional<Entry> entry(String path) {
        return files.stream().filter(e -> e.path().equals(path)).findFirst();
    }

    /** The manifest's bytes: UTF-8 JSON, fixed key order, one file per line, trailing newline. */
    public byte[] toJson() {
        StringBuilder sb = new StringBuilder(256 + files.size() * 128);
        sb.append("{\n");
        field(sb, "format").append(quote(FORMAT)).append(",\n");
        field(sb, "version").append(quote(version)).append(",\n");
        field(sb, "commit").append(quote(commit)).append(",\n");
        field(sb, "dirty").append(dirty).append(",\n");
        field(sb, "policyDigest").append(quote(policyDigest)).append(",\n");
        field(sb, "jdk").append(quote(jdk)).append(",\n");
        field(sb, "signingKey");
        if (signingKey.isPresent()) {
            SigningKey k = signingKey.get();
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
        field(sb, "files").append("[\n");
        for (int i = 0; i < files.size(); i++) {
            Entry e = files.get(i);
            sb.append("    {\"path\": ")
                    .append(quote(e.path()))
                    .append(", \"size\": ")
                    .append(e.size())
                    .append(", \"sha256\": ")
                    .append(quote(e.sha256()))
                    .append('}')
                    .append(i + 1 < files.size() ? ",\n" : "\n");
        }
        sb.append("  ]\n}\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a manifest written by {@link #toJson()}.
     *
     * @throws IllegalArgumentException naming what is wrong, for text that is not such a manifest
     */
    public static RuntimeManifest parse(byte[] json) {
        Object root = JsonReader.parse(new String(json, StandardCharsets.UTF_8));
        Map<?, ?> m = object(root, "the manifest");
        String format = text(m, "format");
        if (!format.equals(FORMAT)) {
            throw new IllegalArgumentException(
                    "unsupported manifest format '" + format + "': expected " + FORMAT);
        }
        Optional<SigningKey> key = Optional.empty();
        Object k = m.get("signingKey");
        if (k == null) {
            throw new IllegalArgumentException("missing key 'signingKey'");
        }
        if (k != JsonReader.NULL) {
            Map<?, ?> km = object(k, "signingKey");
            key =
                    Optional.of(
                            new SigningKey(
                                    text(km, "algorithm"),
                                    text(km, "publicKey"),
                                    text(km, "fingerprint")));
        }
        Object f = m.get("files");
        if (!(f instanceof List<?> list)) {
            throw new IllegalArgumentException("'files' must be a list");
        }
        List<Entry> files = new ArrayList<>(list.size());
        for (Object o : list) {
            Map<?, ?> em = object(o, "a files entry");
            Object size = em.get("size");
            if (!(size instanceof Long s)) {
                throw new IllegalArgumentException(
                        "'size' must be an integer in the entry for " + em.get("path"));
            }
            files.add(new Entry(text(em, "path"), s, text(em, "sha256")));
        }
        Object dirty = m.get("dirty");
        if (!(dirty instanceof Boolean d)) {
            throw new IllegalArgumentException("'dirty' must be true or false");
        }
        return new RuntimeManifest(
                text(m, "version"),
                text(m, "commit"),
                d,
                text(m, "policyDigest"),
                text(m, "jdk"),
                key,
                files);
    }

    private static Map<?, ?> object(Object o, String what) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(what + " must be a JSON object");
        }
        return m;
    }

    private static String text(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException(
                    v == null ? "missing key '" + key + "'" : "'" + key + "' must be a string");
        }
        return s;
    }

    private static void requireText(String key, String value) {
        if (value.isBlank()) {
            throw new IllegalArgumentException("'" + key + "' must not be empty");
        }
    }

    private static StringBuilder field(StringBuilder sb, String name) {
        return sb.append("  ").append(quote(name)).append(": ");
    }

    private static String quote(String s) {
        return Json.string(new StringBuilder(), s).toString();
    }
}
