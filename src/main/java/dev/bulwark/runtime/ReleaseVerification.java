package dev.bulwark.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The outcome of checking a {@link ReleaseRecord} against files an auditor holds and, when given,
 * the public key the auditor trusts.
 *
 * @param record the record, when it could be read
 * @param checked what was compared and matched, one line each ({@code image: NAME})
 * @param problems one line per difference, each starting with the record's field ({@code commit:},
 *     {@code image.sha256:}, {@code signature:}); empty when the release verifies
 * @param signature {@code signed by Ed25519 key FINGERPRINT} or {@code unsigned}
 */
public record ReleaseVerification(
        Optional<ReleaseRecord> record,
        List<String> checked,
        List<String> problems,
        String signature) {

    public ReleaseVerification {
        checked = List.copyOf(checked);
        problems = List.copyOf(problems);
    }

    public boolean ok() {
        return problems.isEmpty();
    }

    /**
     * Reads {@code recordFile}, recomputes the SHA-256 of each of {@code files} (matched to the
     * record's files by name; a file whose name the record lacks but whose digest it has is a
     * renamed field), cross-checks the runtime archive's manifest, signature and SBOM and Packer's
     * manifest when they are among the files, and checks the signature: with {@code trusted}, the
     * record must be signed by that key.
     */
    public static ReleaseVerification of(
            Path recordFile, List<Path> files, Optional<PublicKey> trusted) {
        List<String> checked = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        ReleaseRecord r;
        try {
            r = ReleaseRecord.parse(Files.readAllBytes(recordFile));
        } catch (NoSuchFileException e) {
            return failed(recordFile + ": no such file");
        } catch (IOException e) {
            return failed(recordFile + ": cannot be read: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            return failed(e.getMessage());
        }
        Map<String, ReleaseRecord.Artifact> named = r.artifacts();
        for (Path f : files) {
            String hash;
            try {
                hash = Digests.sha256Hex(f);
            } catch (IOException e) {
                problems.add(f + ": cannot be read: " + e.getMessage());
                continue;
            }
            String name = f.getFileName().toString();
            Optional<String> field =
                    named.entrySet().stream()
                            .filter(e -> e.getValue().fileName().equals(name))
                            .map(Map.Entry::getKey)
                            .findFirst();
            if (field.isEmpty()) {
                Optional<String> sameHash =
                        named.entrySet().stream()
                                .filter(e -> e.getValue().sha256().equals(hash))
                                .map(Map.Entry::getKey)
                                .findFirst();
                problems.add(
                        sameHash.map(
                                        s ->
                                                s
                                                        + ".name: the record says '"
                                                        + named.get(s).name()
                                                        + "', the file with its SHA-256 is "
                                                        + f)
                                .orElse(f + ": the record names no file '" + name + "'"));
                continue;
            }
            ReleaseRecord.Artifact a = named.get(field.get());
            if (!a.sha256().equals(hash)) {
                problems.add(
                        field.get()
                                + ".sha256: the record says "
                                + a.sha256()
                                + ", "
                                + f
                                + " has "
                                + hash);
            } else {
                checked.add(field.get() + ": " + f);
            }
            if (field.get().equals("runtime")) {
                runtime(r, f, checked, problems);
            } else if (field.get().equals("packerManifest")) {
                packer(r, f, problems);
            }
        }
        String state = signature(r, trusted, problems);
        return new ReleaseVerification(Optional.of(r), checked, problems, state);
    }

    /** The archive's manifest, its signature and SBOM against the record's fields. */
    private static void runtime(
            ReleaseRecord r, Path archive, List<String> checked, List<String> problems) {
        Map<String, byte[]> inside;
        try {
            inside =
                    ArchiveEntries.read(
                            archive,
                            Set.of(
                                    ReleaseRecord.MANIFEST_IN_ARCHIVE,
                                    ReleaseRecord.SIGNATURE_IN_ARCHIVE,
                                    ReleaseRecord.SBOM_IN_ARCHIVE));
        } catch (IOException e) {
            problems.add("runtime: " + e.getMessage());
            return;
        }
        inner(
                "runtimeManifest",
                Optional.of(r.runtimeManifest()),
                inside.get(ReleaseRecord.MANIFEST_IN_ARCHIVE),
                archive,
                checked,
                problems);
        inner(
                "runtimeSignature",
                r.runtimeSignature(),
                inside.get(ReleaseRecord.SIGNATURE_IN_ARCHIVE),
                archive,
                checked,
                problems);
        inner(
                "sbom",
                Optional.of(r.sbom()),
                inside.get(ReleaseRecord.SBOM_IN_ARCHIVE),
                archive,
                checked,
                problems);
        byte[] json = inside.get(ReleaseRecord.MANIFEST_IN_ARCHIVE);
        if (json == null) {
            return;
        }
        RuntimeManifest m;
        try {
            m = RuntimeManifest.parse(json);
        } catch (IllegalArgumentException e) {
            problems.add("runtimeManifest: " + archive + ": " + e.getMessage());
            return;
        }
        compare("version", r.version(), m.version(), problems);
        compare("policyDigest", r.policyDigest(), m.policyDigest(), problems);
        if (!m.commit().equals("unknown")) {
            compare("commit", r.commit(), m.commit(), problems);
        }
        if (r.signingKey().isPresent()
                && m.signingKey().isPresent()
                && !r.signingKey().get().fingerprint().equals(m.signingKey().get().fingerprint())) {
            problems.add(
                    "signingKey: the record is signed by key "
                            + r.signingKey().get().fingerprint()
                            + ", the runtime by key "
                            + m.signingKey().get().fingerprint());
        }
    }

    private static void inner(
            String field,
            Optional<ReleaseRecord.Artifact> recorded,
            byte[] content,
            Path archive,
            List<String> checked,
            List<String> problems) {
        if (recorded.isEmpty() && content == null) {
            return;
        }
        if (recorded.isEmpty()) {
            problems.add(field + ": the record names none, but " + archive + " has one");
            return;
        }
        String name = recorded.get().name();
        if (content == null) {
            problems.add(field + ": " + archive + " has no " + name);
            return;
        }
        String hash = Digests.sha256Hex(content);
        if (!hash.equals(recorded.get().sha256())) {
            problems.add(
                    field
                            + ".sha256: the record says "
                            + recorded.get().sha256()
                            + ", "
                            + name
                            + " in "
                            + archive
                            + " has "
                            + hash);
        } else {
            checked.add(field + ": " + name + " in " + archive);
        }
    }

    private static void packer(ReleaseRecord r, Path file, List<String> problems) {
        PackerManifest p;
        try {
            p = PackerManifest.read(file);
        } catch (IOException | IllegalArgumentException e) {
            problems.add("packerManifest: " + e.getMessage());
            return;
        }
        p.image()
                .filter(i -> !i.equals(r.image().name()))
                .ifPresent(
                        i ->
                                problems.add(
                                        "image.name: the record says '"
                                                + r.image().name()
                                                + "', "
                                                + file
                                                + " says '"
                                                + i
                                                + "'"));
        p.policyDigest().ifPresent(d -> compare("policyDigest", r.policyDigest(), d, problems));
    }

    private static void compare(
            String field, String recorded, String actual, List<String> problems) {
        if (!recorded.equals(actual)) {
            problems.add(
                    field
                            + ": the record says '"
                            + recorded
                            + "', the release's files say '"
                            + actual
                            + "'");
        }
    }

    private static String signature(
            ReleaseRecord r, Optional<PublicKey> trusted, List<String> problems) {
        Optional<String> required = trusted.map(k -> Digests.sha256Hex(k.getEncoded()));
        if (r.signingKey().isEmpty()) {
            if (r.signature().isPresent()) {
                problems.add("signature: present, but the record names no signingKey");
            }
            required.ifPresent(
                    k ->
                            problems.add(
                                    "signingKey: the record is unsigned, but a signature by key "
                                            + k
                                            + " is required"));
            return "unsigned";
        }
        String fp = r.signingKey().get().fingerprint();
        if (required.isPresent() && !required.get().equals(fp)) {
            problems.add(
                    "signingKey: signed by key "
                            + fp
                            + ", not by the required key "
                            + required.get());
        }
        if (r.signature().isEmpty()) {
            problems.add("signature: missing (the record names signingKey " + fp + ")");
        } else {
            try {
                if (!r.signatureVerifies()) {
                    problems.add(
                            "signature: does not verify with key "
                                    + fp
                                    + ": a field of the record differs from what was signed");
                }
            } catch (IllegalArgumentException e) {
                problems.add("signingKey: " + e.getMessage());
            }
        }
        return "signed by Ed25519 key " + fp;
    }

    private static ReleaseVerification failed(String problem) {
        return new ReleaseVerification(Optional.empty(), List.of(), List.of(problem), "unknown");
    }
}
