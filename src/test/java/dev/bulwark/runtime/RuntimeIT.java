package dev.bulwark.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.bulwark.json.JsonReader;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The runtime the build just made, unpacked from its archive and run as an operator would run it.
 * Runs after {@code package}, so the archive in {@code target/} is this build's.
 */
class RuntimeIT {

    private static Path archive;
    private static RuntimeManifest built;

    @TempDir Path dir;

    private Path home;

    @BeforeAll
    static void findArchive() throws IOException {
        if (Boolean.getBoolean("bulwark.runtime.skip")) {
            abort("the runtime was not built (-Dbulwark.runtime.skip)");
        }
        Path target = Path.of(System.getProperty("basedir", ".")).resolve("target");
        built =
                RuntimeManifest.parse(
                        Files.readAllBytes(target.resolve("runtime/bulwark/MANIFEST.json")));
        archive =
                target.resolve(
                        "bulwark-"
                                + built.version()
                                + "-"
                                + built.policyDigest().substring(0, 12)
                                + ".tar.gz");
        assertThat(archive).exists();
    }

    @BeforeEach
    void unpack() throws Exception {
        run(List.of("tar", "-xzf", archive.toString(), "-C", dir.toString()), Map.of());
        home = dir.resolve("bulwark");
    }

    @Test
    void reportsItsVersionAndVerifiesAsUnpacked() throws Exception {
        Result version = bulwark("version");
        assertThat(version.exit()).as(version.toString()).isZero();
        assertThat(version.out())
                .contains("bulwark " + built.version())
                .contains("commit     " + built.commit())
                .contains("policy     " + built.policyDigest())
                .contains("signature  unsigned")
                .contains("runtime    " + home.toRealPath());

        Result verify = bulwark("verify");
        assertThat(verify.exit()).as(verify.toString()).isZero();
        assertThat(verify.out())
                .startsWith(
                        "verified "
                                + home.toRealPath()
                                + ": "
                                + built.files().size()
                                + " files match");
    }

    @Test
    void shipsAManPagePerCommandAndBashCompletionListedInItsManifest() throws Exception {
        List<String> pages;
        try (Stream<Path> s = Files.list(home.resolve("man/man1"))) {
            pages = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(pages)
                .contains("bulwark.1", "bulwark-check.1", "bulwark-serve.1")
                .contains("bulwark-policy-compile.1", "bulwark-site-check.1");
        List<String> listed = built.files().stream().map(RuntimeManifest.Entry::path).toList();
        for (String page : pages) {
            assertThat(listed).contains("man/man1/" + page);
        }
        assertThat(listed).contains("completion/bulwark.bash");
        Result man =
                run(
                        List.of("man", "-l", home.resolve("man/man1/bulwark-check.1").toString()),
                        Map.of("MANWIDTH", "100", "MANPAGER", "cat", "PAGER", "cat"));
        assertThat(man.exit()).as(man.toString()).isZero();
        assertThat(man.out()).contains("BULWARK-CHECK(1)", "EXIT STATUS", "deferred");
    }

    @Test
    void shipsOnlyTheRuntimeJarsTheModulesNeededAndNoOtherCommands() throws Exception {
        List<String> jars;
        try (Stream<Path> s = Files.list(home.resolve("app"))) {
            jars = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(jars)
                .contains("bulwark-" + built.version() + ".jar")
                .anyMatch(j -> j.startsWith("subethasmtp-"))
                .noneMatch(
                        j ->
                                j.startsWith("greenmail")
                                        || j.startsWith("junit")
                                        || j.startsWith("assertj"))
                // Jakarta Mail is the demo's SMTP client only; logging is Bulwark's own binding.
                .noneMatch(
                        j ->
                                j.startsWith("jakarta.")
                                        || j.startsWith("angus-")
                                        || j.startsWith("slf4j-simple"));
        // Every shipped dependency jar is an SBOM component (artifactId-version.jar), and only
        // those.
        Map<?, ?> sbom =
                (Map<?, ?>) JsonReader.parse(Files.readString(home.resolve("sbom.cdx.json")));
        List<String> components =
                ((List<?>) sbom.get("components"))
                        .stream()
                                .map(c -> (Map<?, ?>) c)
                                .map(c -> c.get("name") + "-" + c.get("version") + ".jar")
                                .sorted()
                                .toList();
        assertThat(
                        jars.stream()
                                .filter(j -> !j.equals("bulwark-" + built.version() + ".jar"))
                                .toList())
                .containsExactlyElementsOf(components);
        try (Stream<Path> s = Files.list(home.resolve("bin"))) {
            assertThat(s.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("bulwark", "java");
        }
        String modules = Files.readString(home.resolve("release"));
        assertThat(modules)
                .contains("java.logging")
                .contains("jdk.naming.dns")
                .contains("jdk.charsets")
                .doesNotContain("java.desktop")
                .doesNotContain("java.xml")
                .doesNotContain("jdk.jlink");
        assertThat(Files.readString(home.resolve("policy/policy.sha256")).strip())
                .isEqualTo(built.policyDigest());
    }

    @Test
    void verifyNamesAJarWithOneChangedByte() throws Exception {
        Path jar = onlyJar("re2j-");
        TestRuntime.flipByte(jar, Files.size(jar) / 2);

        Result r = bulwark("verify");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .contains("does not match its manifest")
                .contains("  app/" + jar.getFileName() + ": SHA-256 ");
    }

    @Test
    void verifyRefusesAChangedPolicyCopy() throws Exception {
        TestRuntime.flipByte(home.resolve("policy/policy.json"), 3);

        Result r = bulwark("verify");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("  policy/policy.json: SHA-256 ");
    }

    @Test
    void verifyRefusesAChangedPolicyInsideTheApplicationJar() throws Exception {
        Path jar = home.resolve("app/bulwark-" + built.version() + ".jar");
        try (FileSystem zip =
                FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of())) {
            Path policy = zip.getPath("META-INF/bulwark/policy/policy.json");
            byte[] b = Files.readAllBytes(policy);
            b[b.length / 2] ^= 1;
            Files.write(policy, b);
        }

        Result r = bulwark("verify");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("  app/" + jar.getFileName() + ": ");
    }

    @Test
    void verifyRefusesAManifestWithOneChangedByte() throws Exception {
        Path manifest = home.resolve(RuntimeManifest.FILE);
        String text = Files.readString(manifest);
        String hash = built.entry("lib/modules").orElseThrow().sha256();
        Files.writeString(
                manifest,
                text.replace(hash, hash.substring(0, 63) + (hash.endsWith("a") ? "b" : "a")));

        Result r = bulwark("verify");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("  lib/modules: SHA-256 ");
    }

    @Test
    void signedRuntimeVerifiesWithItsKeyAndRefusesAnyManifestChange() throws Exception {
        // Signs the unpacked runtime the way the build does with -Dbulwark.signing.key.
        KeyPair key = TestRuntime.key(dir, "builder");
        KeyPair other = TestRuntime.key(dir, "other");
        Packager.seal(
                home,
                built.version(),
                built.commit(),
                built.dirty(),
                built.jdk(),
                Optional.of(key));
        String fingerprint = Digests.sha256Hex(key.getPublic().getEncoded());

        assertThat(bulwark("version").out())
                .contains("signature  valid, Ed25519 key " + fingerprint);
        assertThat(bulwark("verify").out()).contains("signed by Ed25519 key " + fingerprint);
        Path pinned = TestRuntime.publicPem(dir, "builder", key.getPublic());
        assertThat(bulwark("verify", "--key", pinned.toString()).exit()).isZero();
        Result wrongKey =
                bulwark(
                        "verify",
                        "--key",
                        TestRuntime.publicPem(dir, "other", other.getPublic()).toString());
        assertThat(wrongKey.exit()).isEqualTo(1);
        assertThat(wrongKey.err()).contains("not by the required key");

        Path manifest = home.resolve(RuntimeManifest.FILE);
        // One byte of the version: no file hash covers it, only the signature.
        String v = "\"version\": \"" + built.version() + "\"";
        String changed =
                v.substring(0, v.length() - 2)
                        + (v.charAt(v.length() - 2) == '9' ? '8' : '9')
                        + "\"";
        Files.writeString(manifest, Files.readString(manifest).replace(v, changed));
        Result r = bulwark("verify");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err())
                .contains("MANIFEST.json: the signature in MANIFEST.json.sig does not verify");
        assertThat(bulwark("version").out()).contains("signature  INVALID");
    }

    @Test
    void serveRefusesToStartOnATamperedRuntime() throws Exception {
        assumeTrue(
                bulwark().err().contains("serve"), "serve is not wired into the command line yet");
        Path site = dir.resolve("site.conf");
        Files.writeString(
                site,
                """
                hostname = mx.test.invalid
                listen = 127.0.0.1:0
                next-hop = 127.0.0.1:9
                """);
        Path jar = onlyJar("re2j-");
        TestRuntime.flipByte(jar, Files.size(jar) / 2);

        Result r = bulwark("serve", "--site", site.toString());

        assertThat(r.exit()).as(r.toString()).isNotZero();
        assertThat(r.err())
                .contains("does not match its manifest")
                .contains("app/" + jar.getFileName());
    }

    @Test
    void servesFromTheUnpackedRuntimeWithItsClassDataSharingArchive() throws Exception {
        assertThat(built.entry("lib/bulwark.jsa")).isPresent();
        Path site = dir.resolve("site.conf");
        Files.writeString(
                site,
                """
                hostname = mx.test.invalid
                listen = 127.0.0.1:0
                next-hop = 127.0.0.1:9
                """);
        Process p =
                new ProcessBuilder(
                                home.resolve("bin/bulwark").toString(),
                                "serve",
                                "--site",
                                site.toString())
                        .redirectErrorStream(true)
                        .start();
        List<String> lines = new ArrayList<>();
        try (var in =
                new java.io.BufferedReader(
                        new java.io.InputStreamReader(
                                p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                lines.add(line);
                if (line.contains("serving SMTP on")) {
                    break;
                }
            }
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        assertThat(lines).anyMatch(l -> l.contains("serving SMTP on"));
        assertThat(lines)
                .as("the JVM mapped lib/bulwark.jsa: the unpacked jars match it")
                .anyMatch(l -> l.endsWith("class data sharing on"));
    }

    private Path onlyJar(String prefix) throws IOException {
        try (Stream<Path> s = Files.list(home.resolve("app"))) {
            List<Path> jars = s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
            assertThat(jars).hasSize(1);
            return jars.getFirst();
        }
    }

    record Result(int exit, String out, String err) {}

    private Result bulwark(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve("bin/bulwark").toString());
        cmd.addAll(List.of(args));
        return run(cmd, Map.of());
    }

    private static Result run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> out =
                CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err =
                CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(cmd + " did not finish within 60 s");
        }
        Result r =
                new Result(
                        p.exitValue(),
                        out.get(10, TimeUnit.SECONDS),
                        err.get(10, TimeUnit.SECONDS));
        if (cmd.getFirst().equals("tar") && r.exit() != 0) {
            throw new AssertionError(r.toString());
        }
        return r;
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
