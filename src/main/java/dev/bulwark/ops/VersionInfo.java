package dev.bulwark.ops;

import dev.bulwark.json.Json;
import dev.bulwark.json.JsonReader;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a node runs, as {@code /version} shows it and {@code bulwark fleet} compares it. Filled from
 * the runtime's manifest at start.
 *
 * @param version the release version
 * @param commit the source commit the runtime was built from
 * @param policyDigest the digest of the compiled policy inside the runtime
 * @param signature the manifest's signature as the self-verification found it: {@code unsigned}, or
 *     {@code signed KEY-FINGERPRINT sig-sha256 DIGEST} (the SHA-256 of {@code MANIFEST.json.sig},
 *     which the release record names too); {@code bulwark fleet} reports nodes where it differs
 */
public record VersionInfo(String version, String commit, String policyDigest, String signature) {

    public VersionInfo {
        requireText(version, "version");
        requireText(commit, "commit");
        requireText(policyDigest, "policyDigest");
        requireText(signature, "signature");
    }

    private static void requireText(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
    }

    /** The {@code /version} document: one flat JSON object. */
    public String toJson() {
        StringBuilder b = new StringBuilder(192).append('{');
        Json.string(b, "version").append(':');
        Json.string(b, version).append(',');
        Json.string(b, "commit").append(':');
        Json.string(b, commit).append(',');
        Json.string(b, "policy_digest").append(':');
        Json.string(b, policyDigest).append(',');
        Json.string(b, "signature").append(':');
        Json.string(b, signature);
        return b.append('}').toString();
    }

    /**
     * The {@code /version} document with the audit chain's head: {@code audit_chain_records} and
     * {@code audit_chain_head} (the SHA-256 of the last audit line) after the four members.
     */
    public String toJson(long auditRecords, String auditHead) {
        String base = toJson();
        StringBuilder b = new StringBuilder(base.length() + 120);
        b.append(base, 0, base.length() - 1).append(',');
        Json.string(b, "audit_chain_records").append(':').append(auditRecords).append(',');
        Json.string(b, "audit_chain_head").append(':');
        Json.string(b, auditHead);
        return b.append('}').toString();
    }

    /**
     * Reads a {@code /version} document. Unknown members are ignored, so newer nodes may add some.
     *
     * @return empty if the text is not a JSON object with the four string members
     */
    public static Optional<VersionInfo> parse(String json) {
        Object root;
        try {
            root = JsonReader.parseAnyNumbers(json);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!(root instanceof Map<?, ?> members)) {
            return Optional.empty();
        }
        String version = text(members.get("version"));
        String commit = text(members.get("commit"));
        String digest = text(members.get("policy_digest"));
        String signature = text(members.get("signature"));
        if (version.isBlank() || commit.isBlank() || digest.isBlank() || signature.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new VersionInfo(version, commit, digest, signature));
    }

    private static String text(Object member) {
        return member instanceof String s ? s : "";
    }
}
