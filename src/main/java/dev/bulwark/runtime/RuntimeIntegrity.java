package dev.bulwark.runtime;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;

/**
 * Checks a runtime against its manifest: every file present with the recorded SHA-256, no file
 * missing, no file added, and the manifest's Ed25519 signature when it names a signing key.
 *
 * <p>{@code serve} calls {@link #beforeServe(boolean)} before it opens a socket; {@code bulwark
 * verify} calls {@link #verify(Path, Optional)}; {@code bulwark version} calls {@link
 * #verifySignature(Path)}, which skips the file hashes.
 *
 * <p>The launcher {@code bin/bulwark} passes the runtime directory as the system property {@value
 * #HOME_PROPERTY}. Without it the process is not running from a runtime (a development class path),
 * and only an explicit development flag lets {@code serve} start.
 */
public final class RuntimeIntegrity {

    /** System property the launcher sets to the runtime directory. */
    public static final String HOME_PROPERTY = "bulwark.home";

    /**
     * Where the build puts the compiled policy's digest on the class path (inside the application
     * jar).
     */
    static final String POLICY_DIGEST_RESOURCE = "META-INF/bulwark/policy/policy.sha256";

    /** The runtime's copy of the compiled policy's digest, for people and tools. */
    static final String POLICY_DIGEST_FILE = "policy/policy.sha256";

    private RuntimeIntegrity() {}

    /**
     * The runtime directory named by {@value #HOME_PROPERTY}; empty when not running from a
     * runtime.
     */
    public static Optional<Path> home() {
        String h = System.getProperty(HOME_PROPERTY, "");
        return h.isBlank() ? Optional.empty() : Optional.of(Path.of(h));
    }

    /**
     * The SHA-256 of the runtime's {@value RuntimeManifest#SIGNATURE_FILE} as stored, which a
     * release record names as {@code runtimeSignature}; empty for an unsigned runtime.
     */
    public static Optional<String> signatureDigest(Path home) {
        Path sig = home.resolve(RuntimeManifest.SIGNATURE_FILE);
        if (!Files.isRegularFile(sig, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Digests.sha256Hex(sig));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** {@link #verify(Path, Optional)} trusting whatever key the manifest names. */
    public static Verification verify(Path home) {
        return verify(home, Optional.empty());
    }

    /**
     * Checks every file of {@code home} against its manifest, and the signature.
     *
     * @param trustedKey when present, the runtime must be signed by exactly this key; when empty, a
     *     signed runtime must verify with the key in its manifest, and an unsigned one passes
     */
    public static Verification verify(Path home, Optional<PublicKey> trustedKey) {
        List<String> problems = new ArrayList<>();
        Optional<RuntimeManifest> manifest = readAndCheckSignature(home, trustedKey, problems);
        if (manifest.isPresent()) {
            checkFiles(home, manifest.get(), problems, Optional.empty());
            checkPolicyDigest(home, manifest.get(), problems);
        }
        return new Verification(home, manifest, problems);
    }

    /**
     * Checks {@code home} again while the node serves ({@link SelfVerification}): the manifest and
     * its signature must still be the octets read at start (so editing a file and the manifest
     * together does not pass), and every file must match the manifest read at start. Hashes one
     * file after another on the calling thread, at the pace {@code pacer} allows, instead of on
     * every core as at start: mail is being served.
     */
    static Verification recheck(
            Path home,
            RuntimeManifest manifest,
            byte[] manifestBytes,
            Optional<byte[]> signatureBytes,
            Pacer pacer) {
        List<String> problems = new ArrayList<>();
        unchanged(home, RuntimeManifest.FILE, Optional.of(manifestBytes), problems);
        unchanged(home, RuntimeManifest.SIGNATURE_FILE, signatureBytes, problems);
        checkFiles(home, manifest, problems, Optional.of(pacer));
        checkPolicyDigest(home, manifest, problems);
        return new Verification(home, Optional.of(manifest), problems);
    }

    private static void unchanged(
            Path home, String file, Optional<byte[]> atStart, List<String> problems) {
        Path p = home.resolve(file);
        if (atStart.isEmpty()) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                problems.add(file + ": appeared since start");
            }
            return;
        }
        try {
            if (!java.util.Arrays.equals(Files.readAllBytes(p), atStart.get())) {
                problems.add(file + ": changed since start");
            }
        } catch (NoSuchFileException e) {
            problems.add(file + ": missing (removed since start)");
        } catch (IOException e) {
            problems.add(file + ": cannot be read: " + e.getMessage());
        }
    }

    /** Reads the manifest and checks its signature only: fast, for {@code bulwark version}. */
    public static Verification verifySignature(Path home) {
        List<String> problems = new ArrayList<>();
        Optional<RuntimeManifest> manifest =
                readAndCheckSignature(home, Optional.empty(), problems);
        return new Verification(home, manifest, problems);
    }

    /**
     * Reads an Ed25519 public key in PEM ({@code -----BEGIN PUBLIC KEY-----}) for {@link
     * #verify(Path, Optional)}.
     */
    public static PublicKey readPublicKey(Path pem) throws IOException {
        return Signing.readPublicKey(pem);
    }

    /**
     * Decides whether {@code serve} may listen. With {@value #HOME_PROPERTY} set, the runtime must
     * verify completely, this JVM must be the runtime's own, every class-path entry must be one of
     * its files, and the policy on the class path must be the one the manifest names; the
     * development flag never overrides a failure there. Without it, {@code serve} runs only when
     * {@code developmentAllowed}.
     */
    public static ServeCheck beforeServe(boolean developmentAllowed) {
        Optional<Path> home = home();
        if (home.isEmpty()) {
            if (developmentAllowed) {
                return new ServeCheck.Development(
                        "not running from a Bulwark runtime (-D"
                                + HOME_PROPERTY
                                + " is not set): serving the class path's policy without"
                                + " verification, for development only");
            }
            return new ServeCheck.Refused(
                    "not running from a Bulwark runtime (-D"
                            + HOME_PROPERTY
                            + " is not set): start it with the runtime's bin/bulwark, or pass"
                            + " --development to serve an unverified class path");
        }
        Verification v = verify(home.get());
        if (!v.ok()) {
            return new ServeCheck.Refused(
                    "the runtime "
                            + home.get()
                            + " does not match its manifest: "
                            + v.firstProblem().orElseThrow());
        }
        RuntimeManifest m = v.manifest().orElseThrow();
        try {
            Path realHome = home.get().toRealPath();
            Path javaHome = Path.of(System.getProperty("java.home")).toRealPath();
            if (!javaHome.equals(realHome)) {
                return new ServeCheck.Refused(
                        "this JVM (" + javaHome + ") is not the runtime's own (" + realHome + ")");
            }
            for (String entry :
                    System.getProperty("java.class.path", "").split(File.pathSeparator)) {
                Path p = Path.of(entry).toAbsolutePath().toRealPath();
                if (!p.startsWith(realHome) || m.entry(slashed(realHome.relativize(p))).isEmpty()) {
                    return new ServeCheck.Refused(
                            "the class path entry "
                                    + entry
                                    + " is not a file of the runtime "
                                    + realHome);
                }
            }
        } catch (IOException e) {
            return new ServeCheck.Refused("cannot resolve the runtime's paths: " + e.getMessage());
        }
        Optional<String> loaded = classPathPolicyDigest();
        if (loaded.isEmpty()) {
            return new ServeCheck.Refused(
                    "no compiled policy on the class path (" + POLICY_DIGEST_RESOURCE + ")");
        }
        if (!loaded.get().equals(m.policyDigest())) {
            return new ServeCheck.Refused(
                    "the class path's policy "
                            + loaded.get()
                            + " is not the manifest's "
                            + m.policyDigest());
        }
        return new ServeCheck.Verified(home.get(), m);
    }

    /**
     * The digest of the policy compiled into the application on the class path, if there is one.
     */
    public static Optional<String> classPathPolicyDigest() {
        ClassLoader loader = RuntimeIntegrity.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(POLICY_DIGEST_RESOURCE)) {
            return in == null
                    ? Optional.empty()
                    : Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + POLICY_DIGEST_RESOURCE, e);
        }
    }

    private static Optional<RuntimeManifest> readAndCheckSignature(
            Path home, Optional<PublicKey> trustedKey, List<String> problems) {
        if (!Files.isDirectory(home)) {
            problems.add(home + ": not a directory");
            return Optional.empty();
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(home.resolve(RuntimeManifest.FILE));
        } catch (NoSuchFileException e) {
            problems.add(RuntimeManifest.FILE + ": missing");
            return Optional.empty();
        } catch (IOException e) {
            problems.add(RuntimeManifest.FILE + ": cannot be read: " + e.getMessage());
            return Optional.empty();
        }
        RuntimeManifest m;
        try {
            m = RuntimeManifest.parse(bytes);
        } catch (IllegalArgumentException e) {
            problems.add(RuntimeManifest.FILE + ": not a valid manifest: " + e.getMessage());
            return Optional.empty();
        }
        Path sigFile = home.resolve(RuntimeManifest.SIGNATURE_FILE);
        boolean hasSig = Files.exists(sigFile, LinkOption.NOFOLLOW_LINKS);
        if (m.signingKey().isEmpty()) {
            if (hasSig) {
                problems.add(
                        RuntimeManifest.SIGNATURE_FILE
                                + ": present, but the manifest names no signing key");
            }
            trustedKey.ifPresent(
                    k ->
                            problems.add(
                                    RuntimeManifest.FILE
                                            + ": unsigned, but a signature by key "
                                            + Digests.sha256Hex(k.getEncoded())
                                            + " is required"));
            return Optional.of(m);
        }
        RuntimeManifest.SigningKey named = m.signingKey().get();
        if (trustedKey.isPresent()
                && !Digests.sha256Hex(trustedKey.get().getEncoded()).equals(named.fingerprint())) {
            problems.add(
                    RuntimeManifest.FILE
                            + ": signed by key "
                            + named.fingerprint()
                            + ", not by the required key "
                            + Digests.sha256Hex(trustedKey.get().getEncoded()));
            return Optional.of(m);
        }
        if (!hasSig) {
            problems.add(
                    RuntimeManifest.SIGNATURE_FILE
                            + ": missing (the manifest names signing key "
                            + named.fingerprint()
                            + ")");
            return Optional.of(m);
        }
        try {
            PublicKey key = named.key();
            byte[] sig =
                    Base64.getDecoder()
                            .decode(Files.readString(sigFile, StandardCharsets.US_ASCII).strip());
            if (!Signing.verify(key, bytes, sig)) {
                problems.add(
                        RuntimeManifest.FILE
                                + ": the signature in "
                                + RuntimeManifest.SIGNATURE_FILE
                                + " does not verify with key "
                                + named.fingerprint());
            }
        } catch (IllegalArgumentException e) {
            problems.add(RuntimeManifest.SIGNATURE_FILE + ": unusable: " + e.getMessage());
        } catch (IOException e) {
            problems.add(RuntimeManifest.SIGNATURE_FILE + ": cannot be read: " + e.getMessage());
        }
        return Optional.of(m);
    }

    /**
     * @param paced empty: hash on every core, as fast as possible (at start); present: hash one
     *     file after another on this thread, at its pace (while serving)
     */
    private static void checkFiles(
            Path home, RuntimeManifest m, List<String> problems, Optional<Pacer> paced) {
        // Path order, so that the first problem is the first mismatching file.
        Map<String, String> found = new TreeMap<>();
        TreeSet<String> odd = new TreeSet<>();
        try (Stream<Path> walk = Files.walk(home)) {
            walk.forEach(
                    p -> {
                        String rel = slashed(home.relativize(p));
                        if (rel.isEmpty()
                                || rel.equals(RuntimeManifest.FILE)
                                || rel.equals(RuntimeManifest.SIGNATURE_FILE)) {
                            return;
                        }
                        if (Files.isSymbolicLink(p)) {
                            odd.add(rel + ": a symbolic link, not in the manifest");
                        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                            found.put(rel, "");
                        } else if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                            odd.add(rel + ": not a regular file, not in the manifest");
                        }
                    });
        } catch (IOException | UncheckedIOException e) {
            problems.add(home + ": cannot be listed: " + e.getMessage());
            return;
        }
        Map<String, String> results = new ConcurrentSkipListMap<>();
        for (String o : odd) {
            results.put(o.substring(0, o.indexOf(": ")), o);
        }
        // Hash on all cores, largest files first so that no core is left with a big one at the
        // end: the runtime is ~50 MB and this runs before every start.
        Stream<RuntimeManifest.Entry> entries =
                paced.isPresent()
                        ? m.files().stream()
                        : m.files().stream()
                                .sorted(
                                        Comparator.comparingLong(RuntimeManifest.Entry::size)
                                                .reversed())
                                .toList()
                                .parallelStream();
        Pacer pacer = paced.orElse(Pacer.NONE);
        entries.forEach(
                e -> {
                    String problem = check(home, e, found.containsKey(e.path()), pacer);
                    if (problem != null) {
                        results.put(e.path(), problem);
                    }
                });
        for (String path : found.keySet()) {
            if (m.entry(path).isEmpty()) {
                results.putIfAbsent(path, path + ": not in the manifest");
            }
        }
        problems.addAll(results.values());
    }

    /** A problem with one manifest entry, or null when the file matches. */
    private static String check(Path home, RuntimeManifest.Entry e, boolean present, Pacer pacer) {
        if (!present) {
            return e.path() + ": missing";
        }
        Path p = home.resolve(e.path());
        try {
            long size = Files.size(p);
            if (size != e.size()) {
                return e.path() + ": " + size + " bytes, the manifest says " + e.size();
            }
            String actual = Digests.sha256Hex(p, pacer);
            return actual.equals(e.sha256())
                    ? null
                    : e.path()
                            + ": SHA-256 "
                            + actual
                            + " differs from the manifest's "
                            + e.sha256();
        } catch (IOException ex) {
            return e.path() + ": cannot be read: " + ex.getMessage();
        }
    }

    private static void checkPolicyDigest(Path home, RuntimeManifest m, List<String> problems) {
        if (m.entry(POLICY_DIGEST_FILE).isEmpty()) {
            problems.add(RuntimeManifest.FILE + ": lists no " + POLICY_DIGEST_FILE);
            return;
        }
        if (problems.stream().anyMatch(p -> p.startsWith(POLICY_DIGEST_FILE + ":"))) {
            return;
        }
        try {
            String onDisk =
                    Files.readString(home.resolve(POLICY_DIGEST_FILE), StandardCharsets.UTF_8)
                            .trim();
            if (!onDisk.equals(m.policyDigest())) {
                problems.add(
                        0,
                        RuntimeManifest.FILE
                                + ": policyDigest "
                                + m.policyDigest()
                                + " differs from "
                                + POLICY_DIGEST_FILE
                                + " ("
                                + onDisk
                                + ")");
            }
        } catch (IOException e) {
            problems.add(POLICY_DIGEST_FILE + ": cannot be read: " + e.getMessage());
        }
    }

    static String slashed(Path relative) {
        return relative.toString().replace(File.separatorChar, '/');
    }
}
