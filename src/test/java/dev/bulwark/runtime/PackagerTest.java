package dev.bulwark.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

class PackagerTest {

    @TempDir Path dir;

    private static final long MTIME = Packager.epochSeconds("2026-01-01T00:00:00Z");

    @Test
    void archivesTheSameTreeToTheSameBytesWhateverTheFileTimesModesAndCreationOrder()
            throws Exception {
        Path a = TestRuntime.create(dir.resolve("a"));
        TestRuntime.seal(a, Optional.empty());
        Path b = Files.createDirectories(dir.resolve("b/bulwark"));
        // Same content, created in reverse order, other times and permissions.
        List<Path> files;
        try (var s = Files.walk(a)) {
            files = s.filter(Files::isRegularFile).sorted().toList().reversed();
        }
        for (Path f : files) {
            Path target = b.resolve(a.relativize(f).toString());
            Files.createDirectories(target.getParent());
            Files.copy(f, target);
            Files.setLastModifiedTime(target, FileTime.from(Instant.parse("2031-05-06T07:08:09Z")));
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-rw----"));
        }
        Files.setPosixFilePermissions(
                a.resolve("bin/bulwark"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(
                b.resolve("bin/bulwark"), PosixFilePermissions.fromString("rwx------"));

        Path ta = dir.resolve("a.tar.gz");
        Path tb = dir.resolve("b.tar.gz");
        RuntimeArchive.archive(a, ta, MTIME);
        RuntimeArchive.archive(b, tb, MTIME);

        assertThat(Files.readAllBytes(ta)).isEqualTo(Files.readAllBytes(tb));
        String listing =
                TarWriterTest.run(List.of("tar", "--numeric-owner", "-tvzf", ta.toString()));
        assertThat(listing)
                .contains("-rwxr-xr-x 0/0")
                .contains("bulwark/bin/bulwark")
                .contains("-rw-r--r-- 0/0")
                .doesNotContain("rw-rw----");
        assertThat(listing.lines().map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList())
                .containsExactly(
                        "bulwark/",
                        "bulwark/MANIFEST.json",
                        "bulwark/app/",
                        "bulwark/app/bulwark-1.2.3.jar",
                        "bulwark/app/re2j-1.8.jar",
                        "bulwark/bin/",
                        "bulwark/bin/bulwark",
                        "bulwark/lib/",
                        "bulwark/lib/modules",
                        "bulwark/policy/",
                        "bulwark/policy/policy.json",
                        "bulwark/policy/policy.sha256");
        // gzip header: no modification time (bytes 4-7), no file name flag.
        byte[] head = Files.readAllBytes(ta);
        assertThat(new byte[] {head[3], head[4], head[5], head[6], head[7]}).containsOnly(0);
    }

    @Test
    void unpackedArchiveVerifies() throws Exception {
        Path home = TestRuntime.create(dir.resolve("build"));
        TestRuntime.seal(home, Optional.of(TestRuntime.key(dir, "k")));
        Path archive = dir.resolve("r.tar.gz");
        RuntimeArchive.archive(home, archive, MTIME);
        Path out = Files.createDirectories(dir.resolve("unpacked"));
        TarWriterTest.run(List.of("tar", "-xzf", archive.toString(), "-C", out.toString()));

        assertThat(RuntimeIntegrity.verify(out.resolve("bulwark")).problems()).isEmpty();
    }

    @Test
    void linksTheModulesTheJarsReferenceLessThoseOnlyUnreachedCodeUses() throws Exception {
        // Angus Mail with the modules it requires, as they sit in the runtime's app/.
        List<Path> jars =
                List.of(
                        jar("angus-mail-"),
                        jar("jakarta.mail-api-"),
                        jar("jakarta.activation-api-"));

        List<String> modules =
                JdkTools.modules(
                        jars,
                        java.util.Set.of("jdk.charsets"),
                        Map.of("java.desktop", List.of("org.eclipse.angus.mail.handlers.")));

        assertThat(modules)
                .contains(
                        "java.base",
                        "java.logging",
                        "java.security.sasl",
                        "java.xml",
                        "jdk.charsets")
                .doesNotContain("java.desktop", "jakarta.mail", "jakarta.activation");
        assertThat(
                        JdkTools.modules(
                                jars,
                                java.util.Set.of(),
                                Map.of("java.desktop", List.of("org.example."))))
                .contains("java.desktop");
    }

    @Test
    void keepsAnUnreachedModuleWhenCodeOutsideThePrefixesUsesCodeInside() throws Exception {
        // bucket4j's Lettuce back end extends a generic proxy manager; only some generic ones use
        // JDBC.
        List<Path> jars = List.of(jar("bucket4j_jdk17-core-"), jar("bucket4j_jdk17-lettuce-"));

        assertThat(
                        JdkTools.modules(
                                jars,
                                java.util.Set.of(),
                                Map.of(
                                        "java.sql",
                                        List.of(
                                                "io.github.bucket4j.distributed.jdbc.",
                                                "io.github.bucket4j.distributed.proxy.generic."))))
                .contains("java.sql");
        assertThat(
                        JdkTools.modules(
                                jars,
                                java.util.Set.of(),
                                Map.of(
                                        "java.sql",
                                        List.of(
                                                "io.github.bucket4j.distributed.jdbc.",
                                                "io.github.bucket4j.distributed.proxy.generic.pessimistic_locking.",
                                                "io.github.bucket4j.distributed.proxy.generic.select_for_update."))))
                .doesNotContain("java.sql");
    }

    @Test
    void normalizesModesWhateverTheUmask() throws Exception {
        Path classes = Files.createDirectories(dir.resolve("classes/dev/bulwark"));
        Path cls = Files.writeString(classes.resolve("Main.class"), "x");
        Path tool = Files.writeString(classes.resolve("tool.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(cls, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(classes, PosixFilePermissions.fromString("rwx------"));

        RuntimeArchive.normalizeModes(dir.resolve("classes"));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cls)))
                .isEqualTo("rw-r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tool)))
                .isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(classes)))
                .isEqualTo("rwxr-xr-x");
    }

    @Test
    void replacesSymbolicLinksByCopiesOfTheirTargets() throws Exception {
        Path legal = Files.createDirectories(dir.resolve("rt/legal/java.base"));
        Files.writeString(legal.resolve("LICENSE"), "GPL");
        Path other = Files.createDirectories(dir.resolve("rt/legal/java.xml"));
        Files.createSymbolicLink(other.resolve("LICENSE"), Path.of("../java.base/LICENSE"));

        JdkTools.materializeLinks(dir.resolve("rt"));

        assertThat(Files.isSymbolicLink(other.resolve("LICENSE"))).isFalse();
        assertThat(Files.readString(other.resolve("LICENSE"))).isEqualTo("GPL");
    }

    @Test
    void launcherRunsTheRuntimesJavaWithItsJarsInOrderAndNoOptionsFromTheEnvironment()
            throws Exception {
        Path home = Files.createDirectories(dir.resolve("opt/bulwark"));
        Path bin = Files.createDirectories(home.resolve("bin"));
        Path launcher = bin.resolve("bulwark");
        Files.writeString(
                launcher, Packager.launcher("dev.bulwark.Main", List.of("app/b.jar", "app/a.jar")));
        // A stand-in for the runtime's java that prints what it was given.
        Path java = bin.resolve("java");
        Files.writeString(
                java,
                "#!/bin/sh\n"
                        + "printf '%s\\n"
                        + "' \"$@\"\n"
                        + "echo \"JTO=${JAVA_TOOL_OPTIONS:-unset} HEAP=${BULWARK_HEAP:-unset}"
                        + " KEY=${BULWARK_SIGNING_KEY:-unset}\"\n");
        for (Path p : List.of(launcher, java)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Path link = Files.createDirectories(dir.resolve("usr/bin")).resolve("bulwark");
        Files.createSymbolicLink(link, launcher);

        Result r =
                sh(
                        link,
                        Map.of(
                                "JAVA_TOOL_OPTIONS",
                                "-javaagent:/tmp/evil.jar",
                                "BULWARK_HEAP",
                                "512m",
                                "BULWARK_SIGNING_KEY",
                                "/tmp/key.pem"),
                        "verify",
                        "a b");

        String real = home.toRealPath().toString();
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines().toList())
                .containsExactly(
                        "-Xms16m",
                        "-Xmx512m",
                        "-XX:+UseSerialGC",
                        "-XX:+ExitOnOutOfMemoryError",
                        "-XX:-UsePerfData",
                        "-Dbulwark.home=" + real,
                        "-cp",
                        real + "/app/b.jar:" + real + "/app/a.jar",
                        "dev.bulwark.Main",
                        "verify",
                        "a b",
                        "JTO=unset HEAP=unset KEY=unset");
    }

    @Test
    void launcherRefusesAHeapSettingThatIsNotASize() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bulwark/bin"));
        Path launcher = bin.resolve("bulwark");
        Files.writeString(launcher, Packager.launcher("dev.bulwark.Main", List.of("app/a.jar")));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));

        for (String bad :
                List.of("1g -javaagent:x.jar", "32m", "1m2", "g", "99999999999g", "-5m")) {
            Result r = sh(launcher, Map.of("BULWARK_HEAP", bad), "version");

            assertThat(r.exit()).as(bad).isEqualTo(2);
            assertThat(r.out())
                    .contains(
                            "invalid BULWARK_HEAP '" + bad + "': expected a size of at least 64m");
        }
    }

    /**
     * The jar on the test class path whose file name starts with {@code prefix} (GreenMail brings
     * look-alikes).
     */
    private static Path jar(String prefix) {
        List<Path> found =
                java.util.Arrays.stream(
                                System.getProperty("java.class.path")
                                        .split(java.io.File.pathSeparator))
                        .map(Path::of)
                        .filter(p -> p.getFileName().toString().startsWith(prefix))
                        .toList();
        assertThat(found).as("jars named %s*", prefix).hasSize(1);
        return found.getFirst();
    }

    record Result(int exit, String out) {}

    private static Result sh(Path script, Map<String, String> env, String... args)
            throws Exception {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().add(script.toString());
        pb.command().addAll(List.of(args));
        pb.environment().putAll(env);
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }
}
