package dev.bulwark.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Build-time tool, run by Maven at {@code package} on the JDK 25 toolchain: links the runtime, puts
 * the application in it, writes the manifest (signed when a key is given) and the archive {@code
 * bulwark-VERSION-DIGEST12.tar.gz}. Every step is a function of its inputs, so two builds of one
 * commit give byte-identical archives.
 *
 * <pre>
 * bulwark/
 *   bin/bulwark            launcher (POSIX sh)
 *   bin/java, lib/, conf/, legal/, release   jlink runtime of the JDK modules the application needs
 *   app/*.jar              the application jar and its runtime dependencies (class path)
 *   lib/bulwark.jsa        class-data-sharing archive of what serve loads (ClassDataSharing)
 *   policy/policy.json     copy of the compiled policy the server loads from the application jar
 *   policy/policy.sha256   its digest
 *   sbom.cdx.json          CycloneDX SBOM of the jars in app/
 *   man/man1/bulwark*.1    a man page per command (troff), from the command line's model
 *   completion/bulwark.bash  bash completion for the launcher
 *   MANIFEST.json          version, commit, policy digest, SHA-256 of every other file
 *   MANIFEST.json.sig      Ed25519 signature over MANIFEST.json (signed builds only)
 * </pre>
 */
public final class Packager {

    static final String ROOT = "bulwark";
    static final String POLICY_JSON_RESOURCE = "META-INF/bulwark/policy/policy.json";

    private Packager() {}

    /** Options, all {@code --name=value}; see the runtime execution in {@code pom.xml}. */
    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        if (o.containsKey("normalize-modes")) {
            RuntimeArchive.normalizeModes(Path.of(o.get("normalize-modes")));
            return;
        }
        Path appJar = Path.of(required(o, "app-jar"));
        Path libs = Path.of(required(o, "libs"));
        Path work = Path.of(required(o, "work"));
        Path outDir = Path.of(required(o, "out"));
        String version = required(o, "version");
        long mtime = epochSeconds(required(o, "timestamp"));
        Path basedir = Path.of(o.getOrDefault("basedir", "."));
        String keyPath = o.getOrDefault("signing-key", "").strip();
        if (keyPath.isEmpty()) {
            keyPath = Optional.ofNullable(System.getenv("BULWARK_SIGNING_KEY")).orElse("").strip();
        }
        Optional<KeyPair> key =
                keyPath.isEmpty()
                        ? Optional.empty()
                        : Optional.of(Signing.readPrivateKey(Path.of(keyPath)));

        List<Path> jars = new ArrayList<>();
        jars.add(appJar);
        try (Stream<Path> s = Files.list(libs)) {
            s.filter(p -> p.getFileName().toString().endsWith(".jar"))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .forEach(jars::add);
        }
        List<String> modules =
                JdkTools.modules(
                        jars,
                        set(o.getOrDefault("add-modules", "")),
                        unreached(o.getOrDefault("unreached", "")));
        log("modules: " + String.join(",", modules));

        Path home = work.resolve(ROOT);
        RuntimeArchive.deleteTree(work);
        Files.createDirectories(work);
        JdkTools.link(modules, home, Boolean.parseBoolean(o.getOrDefault("cds", "true")));
        boolean appCds = Boolean.parseBoolean(o.getOrDefault("app-cds", "false"));
        String mainClass = o.getOrDefault("main-class", "dev.bulwark.Main");
        List<String> classPath = install(home, jars, appJar, o.get("sbom"), mainClass, appCds);
        String docs = o.getOrDefault("docs", "").strip();
        if (!docs.isEmpty()) {
            copyTree(Path.of(docs), home);
        }

        Git git = Git.describe(basedir);
        if (appCds) {
            Path list = Path.of(required(o, "app-cds-list"));
            ClassDataSharing.fixTimes(home, mtime);
            if (Boolean.parseBoolean(o.getOrDefault("app-cds-train", "false"))) {
                // The training run is a real serve: it verifies the runtime, so seal it first;
                // the seal below then covers the archive too.
                seal(home, version, git.commit(), git.dirty(), Runtime.version().toString(), key);
                ClassDataSharing.train(home, mainClass, classPath, list);
            }
            ClassDataSharing.dump(home, classPath, list);
            ClassDataSharing.fixTimes(home, mtime);
        }
        RuntimeManifest m =
                seal(home, version, git.commit(), git.dirty(), Runtime.version().toString(), key);
        Path archive =
                outDir.resolve(
                        ROOT + "-" + version + "-" + m.policyDigest().substring(0, 12) + ".tar.gz");
        RuntimeArchive.archive(home, archive, mtime);
        String sha = Digests.sha256Hex(archive);
        Files.writeString(
                outDir.resolve(archive.getFileName() + ".sha256"),
                sha + "  " + archive.getFileName() + "\n");
        log("runtime " + archive + " (" + Files.size(archive) / 1024 + " KiB, sha256 " + sha + ")");
        log(
                "commit "
                        + git.commit()
                        + (git.dirty() ? " (dirty)" : "")
                        + ", policy "
                        + m.policyDigest()
                        + ", "
                        + m.signingKey()
                                .map(k -> "signed with Ed25519 key " + k.fingerprint())
                                .orElse("UNSIGNED (no signing key given)"));
    }

    /** Puts the application into the runtime; returns its class path, relative to {@code home}. */
    private static List<String> install(
            Path home, List<Path> jars, Path appJar, String sbom, String mainClass, boolean appCds)
            throws IOException {
        Path app = Files.createDirectories(home.resolve("app"));
        List<String> classPath = new ArrayList<>();
        for (Path jar : jars) {
            Path target = app.resolve(jar.getFileName().toString());
            if (Files.exists(target)) {
                throw new IOException("two jars named " + jar.getFileName() + " on the class path");
            }
            Files.copy(jar, target);
            classPath.add("app/" + jar.getFileName());
        }
        Path launcher = home.resolve("bin/bulwark");
        Files.writeString(
                launcher,
                launcher(
                        mainClass,
                        classPath,
                        appCds ? Optional.of(ClassDataSharing.ARCHIVE) : Optional.empty()),
                StandardCharsets.UTF_8);
        launcher.toFile().setExecutable(true, false);

        Path policy = Files.createDirectories(home.resolve("policy"));
        try (ZipFile zip = new ZipFile(appJar.toFile())) {
            byte[] json = entry(zip, POLICY_JSON_RESOURCE, appJar);
            String digest =
                    new String(
                                    entry(zip, RuntimeIntegrity.POLICY_DIGEST_RESOURCE, appJar),
                                    StandardCharsets.UTF_8)
                            .strip();
            if (!Digests.sha256Hex(json).equals(digest)) {
                throw new IOException(
                        appJar
                                + ": "
                                + POLICY_JSON_RESOURCE
                                + " does not match "
                                + RuntimeIntegrity.POLICY_DIGEST_RESOURCE);
            }
            Files.write(policy.resolve("policy.json"), json);
            Files.writeString(policy.resolve("policy.sha256"), digest + "\n");
        }
        if (sbom != null && !sbom.isBlank()) {
            Files.copy(Path.of(sbom), home.resolve("sbom.cdx.json"));
        }
        return classPath;
    }

    /**
     * Copies the files under {@code from} into {@code to}, keeping their relative paths (the man
     * pages and the completion script, cli/Documentation). Sorted, so the order files are written
     * in is the same in every build.
     */
    private static void copyTree(Path from, Path to) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(from)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IOException(from + " holds no documentation: run the build's docs step");
        }
        for (Path f : files) {
            Path target = to.resolve(from.relativize(f).toString());
            Files.createDirectories(target.getParent());
            Files.copy(f, target);
        }
    }

    private static byte[] entry(ZipFile zip, String name, Path jar) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new IOException(
                    jar
                            + " has no compiled policy ("
                            + name
                            + "): the policy must be compiled into "
                            + "target/classes before packaging");
        }
        try (InputStream in = zip.getInputStream(e)) {
            return in.readAllBytes();
        }
    }

    /**
     * The launcher. It runs this runtime's own java with this runtime's jars in a fixed order, and
     * clears the variables through which the JVM would take options or agents from the environment:
     * what runs is what the manifest lists. {@code BULWARK_HEAP} sets the maximum heap. The heap
     * starts small (16 MiB) and grows under load: an idle node stays near 70 MB resident.
     */
    static String launcher(String mainClass, List<String> classPath) {
        return launcher(mainClass, classPath, Optional.empty());
    }

    /**
     * The launcher, with the class-data-sharing archive at {@code sharedArchive} (relative to the
     * runtime) when given. The JVM checks the archive against the class path and the jars' sizes
     * and times, and starts without it when they differ (slower, never different).
     */
    static String launcher(
            String mainClass, List<String> classPath, Optional<String> sharedArchive) {
        StringBuilder cp = new StringBuilder();
        for (String entry : classPath) {
            cp.append(cp.isEmpty() ? "" : ":").append("$home/").append(entry);
        }
        return """
        #!/bin/sh
        # Bulwark launcher, written at build time; listed in MANIFEST.json like every runtime file.
        # Environment: BULWARK_HEAP  maximum Java heap, at least 64m (default 512m: ADR 0016).
        set -eu
        self=$0
        while [ -h "$self" ]; do
          link=$(readlink "$self")
          case $link in
            /*) self=$link ;;
            *) self=$(dirname "$self")/$link ;;
          esac
        done
        home=$(cd "$(dirname "$self")/.." && pwd -P)
        heap=${BULWARK_HEAP:-512m}
        num=${heap%[kKmMgG]}
        case $num in
          ''|*[!0-9]*|??????????*) kib=0 ;;
          *) case ${heap#"$num"} in
               k|K) kib=$num ;;
               m|M) kib=$((num * 1024)) ;;
               g|G) kib=$((num * 1048576)) ;;
               *) kib=$((num / 1024)) ;;
             esac ;;
        esac
        if [ "$kib" -lt 65536 ]; then
          echo "bulwark: invalid BULWARK_HEAP '$heap': expected a size of at least 64m, such as 512m or 2g" >&2
          exit 2
        fi
        # BULWARK_HEAP (the launcher's) and BULWARK_SIGNING_KEY (the build's) are not site
        # settings, which are the other BULWARK_* variables.
        unset BULWARK_HEAP BULWARK_SIGNING_KEY JDK_JAVA_OPTIONS JAVA_TOOL_OPTIONS _JAVA_OPTIONS CLASSPATH
        exec "$home/bin/java" -Xms16m -Xmx"$heap" -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData \\
          @SHARED_ARCHIVE@-Dbulwark.home="$home" \\
          -cp "@CLASS_PATH@" \\
          @MAIN_CLASS@ "$@"
        """
                .replace(
                        "@SHARED_ARCHIVE@",
                        sharedArchive
                                .map(a -> "-XX:SharedArchiveFile=\"$home/" + a + "\" ")
                                .orElse(""))
                .replace("@CLASS_PATH@", cp)
                .replace("@MAIN_CLASS@", mainClass);
    }

    /**
     * Writes {@value RuntimeManifest#FILE} for every file under {@code home} and, given a key,
     * {@value RuntimeManifest#SIGNATURE_FILE}. The policy digest is read from {@code
     * policy/policy.sha256}.
     */
    static RuntimeManifest seal(
            Path home,
            String version,
            String commit,
            boolean dirty,
            String jdk,
            Optional<KeyPair> key)
            throws IOException {
        Files.deleteIfExists(home.resolve(RuntimeManifest.FILE));
        Files.deleteIfExists(home.resolve(RuntimeManifest.SIGNATURE_FILE));
        List<RuntimeManifest.Entry> entries = new ArrayList<>();
        for (Path p : regularFiles(home)) {
            entries.add(
                    new RuntimeManifest.Entry(
                            RuntimeIntegrity.slashed(home.relativize(p)),
                            Files.size(p),
                            Digests.sha256Hex(p)));
        }
        entries.sort(Comparator.comparing(RuntimeManifest.Entry::path));
        String digest =
                Files.readString(
                                home.resolve(RuntimeIntegrity.POLICY_DIGEST_FILE),
                                StandardCharsets.UTF_8)
                        .strip();
        RuntimeManifest m =
                new RuntimeManifest(
                        version,
                        commit,
                        dirty,
                        digest,
                        jdk,
                        key.map(k -> RuntimeManifest.SigningKey.of(k.getPublic())),
                        entries);
        byte[] json = m.toJson();
        Files.write(home.resolve(RuntimeManifest.FILE), json);
        if (key.isPresent()) {
            String sig = Base64.getEncoder().encodeToString(Signing.sign(key.get(), json));
            Files.writeString(home.resolve(RuntimeManifest.SIGNATURE_FILE), sig + "\n");
        }
        return m;
    }

    private static List<Path> regularFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> files = new ArrayList<>();
            for (Path p : s.toList()) {
                if (Files.isSymbolicLink(p)) {
                    throw new IOException(
                            p + ": a symbolic link; the runtime holds only plain files");
                }
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    files.add(p);
                }
            }
            return files;
        }
    }

    /** The git commit of {@code basedir}, and whether the work tree differs from it. */
    record Git(String commit, boolean dirty) {
        static Git describe(Path basedir) {
            Optional<String> head = git(basedir, "rev-parse", "--verify", "HEAD");
            if (head.isEmpty()) {
                return new Git("unknown", false);
            }
            Optional<String> status = git(basedir, "status", "--porcelain");
            return new Git(head.get().strip(), status.map(s -> !s.isBlank()).orElse(true));
        }

        private static Optional<String> git(Path dir, String... args) {
            List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
            cmd.addAll(List.of(args));
            try {
                Process p =
                        new ProcessBuilder(cmd)
                                .redirectError(ProcessBuilder.Redirect.DISCARD)
                                .start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return Optional.empty();
                }
                return p.exitValue() == 0 ? Optional.of(out) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
    }

    static long epochSeconds(String timestamp) {
        // project.build.outputTimestamp is either ISO-8601 or seconds since the epoch.
        return timestamp.chars().allMatch(Character::isDigit)
                ? Long.parseLong(timestamp)
                : Instant.parse(timestamp).getEpochSecond();
    }

    private static Set<String> set(String csv) {
        Set<String> s = new TreeSet<>();
        for (String m : csv.split("[,\\s]+")) {
            if (!m.isBlank()) {
                s.add(m.strip());
            }
        }
        return s;
    }

    /** {@code module:prefix|prefix,module:prefix} */
    private static Map<String, List<String>> unreached(String spec) {
        Map<String, List<String>> m = new TreeMap<>();
        for (String item : set(spec)) {
            int colon = item.indexOf(':');
            if (colon < 1) {
                throw new IllegalArgumentException(
                        "expected module:package.prefix in --unreached, got '" + item + "'");
            }
            m.put(item.substring(0, colon), List.of(item.substring(colon + 1).split("\\|")));
        }
        return m;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (!a.startsWith("--") || eq < 0) {
                throw new IllegalArgumentException("expected --name=value, got '" + a + "'");
            }
            o.put(a.substring(2, eq), a.substring(eq + 1));
        }
        return o;
    }

    private static String required(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("missing option --" + name);
        }
        return v;
    }

    static void log(String line) {
        if (!line.isEmpty()) {
            System.out.println("[runtime] " + line);
        }
    }
}
