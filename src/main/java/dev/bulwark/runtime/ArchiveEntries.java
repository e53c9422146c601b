package dev.bulwark.runtime;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Reads a few named files out of a runtime archive: the gzip'd ustar that {@link RuntimeArchive}
 * writes (names split into prefix and name, no pax or GNU records). The JDK has no tar reader.
 */
final class ArchiveEntries {
    private ArchiveEntries() {}

    private static final int BLOCK = 512;

    /** The largest file read; the manifest, its signature and the SBOM are far smaller. */
    private static final long MAX_ENTRY = 64L << 20;

    /**
     * The contents of those of {@code names} the archive holds, by name.
     *
     * @throws IOException when the archive is not a gzip'd tar, or is cut short
     */
    static Map<String, byte[]> read(Path archive, Set<String> names) throws IOException {
        Map<String, byte[]> found = new HashMap<>();
        try (InputStream in =
                new GZIPInputStream(
                        new BufferedInputStream(Files.newInputStream(archive)), 1 << 16)) {
            byte[] h = new byte[BLOCK];
            while (found.size() < names.size()) {
                if (in.readNBytes(h, 0, BLOCK) < BLOCK) {
                    throw new IOException(archive + ": the tar archive is cut short");
                }
                if (allZero(h)) {
                    break;
                }
                String name = text(h, 0, 100);
                String prefix = text(h, 345, 155);
                String path = prefix.isEmpty() ? name : prefix + "/" + name;
                long size = octal(h, 124, 12, archive);
                long padded = (size + BLOCK - 1) / BLOCK * BLOCK;
                char type = (char) h[156];
                if ((type == '0' || type == 0) && names.contains(path)) {
                    if (size > MAX_ENTRY) {
                        throw new IOException(archive + ": " + path + " is too large to read");
                    }
                    byte[] content = in.readNBytes((int) size);
                    if (content.length < size) {
                        throw new IOException(archive + ": " + path + " is cut short");
                    }
                    found.put(path, content);
                    in.skipNBytes(padded - size);
                } else {
                    in.skipNBytes(padded);
                }
            }
        } catch (java.io.EOFException e) {
            throw new IOException(archive + ": the tar archive is cut short", e);
        } catch (java.util.zip.ZipException e) {
            throw new IOException(archive + ": not a gzip'd tar archive: " + e.getMessage(), e);
        }
        return found;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String text(byte[] h, int offset, int width) {
        int end = offset;
        while (end < offset + width && h[end] != 0) {
            end++;
        }
        return new String(h, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] h, int offset, int width, Path archive) throws IOException {
        String s = text(h, offset, width).strip();
        try {
            return s.isEmpty() ? 0 : Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new IOException(archive + ": not a tar archive (bad size field '" + s + "')", e);
        }
    }
}
