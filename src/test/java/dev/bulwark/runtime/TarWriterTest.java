package dev.bulwark.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

class TarWriterTest {

    @TempDir Path dir;

    private static final long MTIME = 1_767_225_600L; // 2026-01-01T00:00:00Z

    @Test
    void writesHeadersThatTarReadsBackWithFixedOwnerTimeAndMode() throws Exception {
        Path archive = dir.resolve("a.tar");
        Files.write(
                archive,
                tar(
                        w -> {
                            w.directory("bulwark");
                            w.directory("bulwark/bin");
                            file(w, "bulwark/bin/run", 0755, "#!/bin/sh\necho hi\n");
                            file(w, "bulwark/readme.txt", 0644, "hello");
                        }));

        String listing =
                run(List.of("tar", "--numeric-owner", "--full-time", "-tvf", archive.toString()));

        assertThat(listing.lines().toList())
                .containsExactly(
                        "drwxr-xr-x 0/0               0 2026-01-01 00:00:00 bulwark/",
                        "drwxr-xr-x 0/0               0 2026-01-01 00:00:00 bulwark/bin/",
                        "-rwxr-xr-x 0/0              18 2026-01-01 00:00:00 bulwark/bin/run",
                        "-rw-r--r-- 0/0               5 2026-01-01 00:00:00 bulwark/readme.txt");
        Path out = Files.createDirectory(dir.resolve("out"));
        run(List.of("tar", "-xf", archive.toString(), "-C", out.toString()));
        assertThat(Files.readString(out.resolve("bulwark/bin/run")))
                .isEqualTo("#!/bin/sh\necho hi\n");
    }

    @Test
    void sameEntriesGiveSameBytesPaddedToWholeRecords() throws Exception {
        Entries entries =
                w -> {
                    w.directory("x");
                    file(w, "x/one", 0644, "1".repeat(1000));
                };
        byte[] a = tar(entries);
        byte[] b = tar(entries);

        assertThat(a).isEqualTo(b);
        assertThat(a.length % 10240).isZero();
    }

    @Test
    void splitsLongPathsIntoUstarPrefixAndName() throws Exception {
        String longDir = "bulwark/" + "d".repeat(90) + "/" + "e".repeat(40);
        String path = longDir + "/" + "f".repeat(60) + ".txt";
        Path archive = dir.resolve("long.tar");
        Files.write(archive, tar(w -> file(w, path, 0644, "x")));

        assertThat(run(List.of("tar", "-tf", archive.toString())).strip()).isEqualTo(path);
    }

    @Test
    void refusesPathsThatUstarCannotHold() {
        assertThatThrownBy(() -> tar(w -> file(w, "a".repeat(120), 0644, "x")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("too long for a ustar header");
        assertThatThrownBy(() -> tar(w -> file(w, "/etc/passwd", 0644, "x")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not a relative ASCII path");
    }

    @Test
    void refusesContentShorterOrLongerThanAnnounced() {
        assertThatThrownBy(
                        () ->
                                tar(
                                        w ->
                                                w.file(
                                                        "f",
                                                        0644,
                                                        10,
                                                        new ByteArrayInputStream(new byte[5]))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("ended after 5 of 10 bytes");
        assertThatThrownBy(
                        () -> tar(w -> w.file("f", 0644, 3, new ByteArrayInputStream(new byte[5]))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("longer than the 3 bytes announced");
    }

    interface Entries {
        void write(TarWriter w) throws IOException;
    }

    private static byte[] tar(Entries entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarWriter w = new TarWriter(bytes, MTIME)) {
            entries.write(w);
        }
        return bytes.toByteArray();
    }

    private static void file(TarWriter w, String path, int mode, String content)
            throws IOException {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        w.file(path, mode, b.length, new ByteArrayInputStream(b));
    }

    static String run(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("TZ", "UTC");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
        return out;
    }
}
