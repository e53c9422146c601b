package dev.bulwark.classifier;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads the regular files of a tar archive (POSIX ustar, with GNU long names and pax {@code path}
 * records), one after the other. The JDK has no tar reader, and the corpus needs no more than names
 * and contents: directories, links and devices are skipped, ownership and times ignored.
 *
 * <p>Call {@link #next} until it returns null; {@link #content} then holds the current file.
 */
final class TarReader {

    private static final int BLOCK = 512;

    /** One regular file of the archive. */
    record Entry(String name, long size) {}

    private final InputStream in;
    private final long maxEntry;
    private byte[] content;

    /**
     * @param maxEntry files larger than this are skipped: {@link #content} is then null
     */
    TarReader(InputStream in, long maxEntry) {
        this.in = in;
        this.maxEntry = maxEntry;
    }

    /** The next regular file, or null at the end of the archive. */
    Entry next() throws IOException {
        String longName = null;
        while (true) {
            byte[] header = new byte[BLOCK];
            if (!readBlock(header)) {
                return null; // no end-of-archive blocks: tolerated, as tar(1) does with a warning
            }
            if (zero(header)) {
                return null;
            }
            if (!checksumOk(header)) {
                throw new IOException("damaged tar header (checksum mismatch)");
            }
            long size = octal(header, 124, 12);
            char type = (char) header[156];
            String name = longName != null ? longName : name(header);
            longName = null;
            switch (type) {
                case 'L' -> {
                    longName = trimNul(new String(readData(size), StandardCharsets.UTF_8));
                    continue;
                }
                case 'x' -> {
                    longName = paxPath(readData(size));
                    continue;
                }
                case '0', '\0', '7' -> {
                    if (size > maxEntry) {
                        skip(padded(size));
                        content = null;
                    } else {
                        content = readData(size);
                    }
                    return new Entry(name, size);
                }
                default -> skip(padded(size)); // directories, links, global pax headers
            }
        }
    }

    /** The bytes of the file {@link #next} returned; null when it was over the size limit. */
    byte[] content() {
        return content;
    }

    private static String name(byte[] h) {
        String name = cString(h, 0, 100);
        if (new String(h, 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")) {
            String prefix = cString(h, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
        }
        return name;
    }

    /** The {@code path} record of a pax extended header, or null. */
    private static String paxPath(byte[] data) {
        String records = new String(data, StandardCharsets.UTF_8);
        int i = 0;
        while (i < records.length()) {
            int space = records.indexOf(' ', i);
            if (space < 0) {
                break;
            }
            int length;
            try {
                length = Integer.parseInt(records.substring(i, space));
            } catch (NumberFormatException e) {
                break;
            }
            if (length <= 0 || i + length > records.length()) {
                break;
            }
            String record = records.substring(space + 1, i + length - 1); // without the newline
            if (record.startsWith("path=")) {
                return record.substring(5);
            }
            i += length;
        }
        return null;
    }

    private byte[] readData(long size) throws IOException {
        if (size > Integer.MAX_VALUE - BLOCK) {
            throw new IOException("tar entry of " + size + " bytes");
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length != size) {
            throw new EOFException("archive ends inside an entry");
        }
        skip(padded(size) - size);
        return data;
    }

    private void skip(long n) throws IOException {
        long left = n;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new EOFException("archive ends inside an entry");
                }
                skipped = 1;
            }
            left -= skipped;
        }
    }

    private boolean readBlock(byte[] block) throws IOException {
        int n = in.readNBytes(block, 0, BLOCK);
        if (n == 0) {
            return false;
        }
        if (n != BLOCK) {
            throw new EOFException("archive ends inside a header");
        }
        return true;
    }

    private static long padded(long size) {
        return (size + BLOCK - 1) / BLOCK * BLOCK;
    }

    private static boolean zero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean checksumOk(byte[] h) throws IOException {
        long recorded = octal(h, 148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
        }
        return sum == recorded;
    }

    private static long octal(byte[] h, int off, int len) throws IOException {
        if ((h[off] & 0x80) != 0) { // GNU base-256 for sizes past 8 GiB
            long v = h[off] & 0x7f;
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        long v = 0;
        int i = off;
        int end = off + len;
        while (i < end && (h[i] == ' ' || h[i] == 0)) {
            i++;
        }
        for (; i < end && h[i] >= '0' && h[i] <= '7'; i++) {
            v = v * 8 + (h[i] - '0');
        }
        if (i < end && h[i] != ' ' && h[i] != 0) {
            throw new IOException("damaged tar header (bad octal number)");
        }
        return v;
    }

    private static String cString(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static String trimNul(String s) {
        int nul = s.indexOf('\0');
        return nul < 0 ? s : s.substring(0, nul);
    }
}
