package dev.bulwark.runtime;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The runtime's files as the archive holds them: normalised modes, sorted entries, one mtime, root
 * as owner, gzip without time or name, so that two builds of one commit give the same bytes.
 */
final class RuntimeArchive {

    private RuntimeArchive() {}

    /**
     * Sets 0755 on directories and owner-executable files and 0644 on all others under {@code dir}.
     * Run on target/classes before the jar: the jar records each entry's mode, which otherwise
     * follows the builder's umask (077 gave a different jar than 022).
     */
    static void normalizeModes(Path dir) throws IOException {
        Set<PosixFilePermission> open = PosixFilePermissions.fromString("rwxr-xr-x");
        Set<PosixFilePermission> plain = PosixFilePermissions.fromString("rw-r--r--");
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                if (Files.isSymbolicLink(p)) {
                    continue;
                }
                boolean exec =
                        Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                                || Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)
                                        .contains(PosixFilePermission.OWNER_EXECUTE);
                Files.setPosixFilePermissions(p, exec ? open : plain);
            }
        }
    }

    /**
     * Archives {@code home} as a gzip'd ustar whose entries are sorted by path, all with
     * modification time {@code mtime}, owner root, mode 0755 for directories and executables and
     * 0644 otherwise. The gzip header carries no time or name.
     */
    static void archive(Path home, Path archive, long mtime) throws IOException {
        String root = home.getFileName().toString();
        Map<String, Path> entries = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(home)) {
            s.map(
                            p ->
                                    Map.entry(
                                            root
                                                    + (p.equals(home)
                                                            ? ""
                                                            : "/"
                                                                    + RuntimeIntegrity.slashed(
                                                                            home.relativize(p))),
                                            p))
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(e -> entries.put(e.getKey(), e.getValue()));
        }
        Files.createDirectories(archive.toAbsolutePath().getParent());
        Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp");
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                TarWriter tar = new TarWriter(new MaxGzip(file), mtime)) {
            for (Map.Entry<String, Path> e : entries.entrySet()) {
                Path p = e.getValue();
                if (Files.isSymbolicLink(p)) {
                    throw new IOException(p + ": symbolic links are not archived");
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    tar.directory(e.getKey());
                } else {
                    int mode =
                            Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)
                                            .contains(PosixFilePermission.OWNER_EXECUTE)
                                    ? 0755
                                    : 0644;
                    try (InputStream in = Files.newInputStream(p)) {
                        tar.file(e.getKey(), mode, Files.size(p), in);
                    }
                }
            }
        }
        Files.move(
                tmp, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** gzip at the highest level; the JDK's header has no time, no name and a fixed OS byte. */
    private static final class MaxGzip extends GZIPOutputStream {
        MaxGzip(OutputStream out) throws IOException {
            super(out, 1 << 16);
            def.setLevel(Deflater.BEST_COMPRESSION);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
