package dev.bulwark.runtime;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes a POSIX ustar archive whose bytes depend only on the entries given: every entry gets the
 * same modification time, owner 0/0 named root, and the mode the caller chose. The caller decides
 * the order (the packager sorts). The JDK has no tar API, and a general-purpose one would add
 * fields (access times, user names, pax records) that differ from one build machine to the next.
 *
 * <p>Call order: {@link #directory} and {@link #file} any number of times, then {@link #close},
 * which writes the end-of-archive blocks and pads to a whole record as tar(1) does.
 */
final class TarWriter implements Closeable {

    private static final int BLOCK = 512;
    private static final int RECORD = 20 * BLOCK;
    private static final long MAX_SIZE = 077777777777L;

    private final OutputStream out;
    private final long mtimeSeconds;
    private long written;
    private boolean closed;

    TarWriter(OutputStream out, long mtimeSeconds) {
        if (mtimeSeconds < 0 || mtimeSeconds > MAX_SIZE) {
            throw new IllegalArgumentException(
                    mtimeSeconds + " is not a valid tar modification time");
        }
        this.out = out;
        this.mtimeSeconds = mtimeSeconds;
    }

    /** A directory entry; {@code path} without a trailing slash. Mode 0755. */
    void directory(String path) throws IOException {
        write(header(path + "/", 0755, 0, '5'));
    }

    /** A regular file of exactly {@code size} bytes read from {@code content}. */
    void file(String path, int mode, long size, InputStream content) throws IOException {
        if (size < 0 || size > MAX_SIZE) {
            throw new IOException(path + ": size " + size + " does not fit a ustar header");
        }
        write(header(path, mode, size, '0'));
        byte[] buffer = new byte[64 * 1024];
        long left = size;
        while (left > 0) {
            int n = content.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException(
                        path + ": ended after " + (size - left) + " of " + size + " bytes");
            }
            write(buffer, n);
            left -= n;
        }
        if (content.read() >= 0) {
            throw new IOException(path + ": longer than the " + size + " bytes announced");
        }
        pad();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        write(new byte[2 * BLOCK]);
        int tail = (int) (written % RECORD);
        if (tail != 0) {
            write(new byte[RECORD - tail]);
        }
        out.close();
    }

    private byte[] header(String path, int mode, long size, char type) throws IOException {
        byte[] h = new byte[BLOCK];
        byte[] name = path.getBytes(StandardCharsets.US_ASCII);
        if (!StandardCharsets.US_ASCII.newEncoder().canEncode(path)
                || path.isEmpty()
                || path.startsWith("/")
                || path.contains("\\")) {
            throw new IOException("'" + path + "' is not a relative ASCII path");
        }
        if (name.length <= 100) {
            System.arraycopy(name, 0, h, 0, name.length);
        } else {
            // ustar splits a long path at a slash: up to 155 bytes of prefix, up to 100 of name.
            int split = -1;
            for (int i = Math.min(name.length - 1, 155); i > 0; i--) {
                if (name[i] == '/' && name.length - i - 1 <= 100 && name.length - i - 1 > 0) {
                    split = i;
                    break;
                }
            }
            if (split < 0) {
                throw new IOException("'" + path + "' is too long for a ustar header");
            }
            System.arraycopy(name, split + 1, h, 0, name.length - split - 1);
            System.arraycopy(name, 0, h, 345, split);
        }
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtimeSeconds);
        h[156] = (byte) type;
        ascii(h, 257, "ustar\0");
        ascii(h, 263, "00");
        ascii(h, 265, "root");
        ascii(h, 297, "root");
        octal(h, 329, 8, 0);
        octal(h, 337, 8, 0);
        // The checksum is computed with its own field read as eight spaces.
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        h[155] = ' ';
        return h;
    }

    /** Zero-padded octal in {@code width - 1} digits followed by NUL. */
    private static void octal(byte[] h, int offset, int width, long value) {
        String digits = Long.toOctalString(value);
        if (digits.length() > width - 1) {
            throw new IllegalArgumentException(
                    value + " does not fit " + (width - 1) + " octal digits");
        }
        String padded = "0".repeat(width - 1 - digits.length()) + digits;
        ascii(h, offset, padded);
        h[offset + width - 1] = 0;
    }

    private static void ascii(byte[] h, int offset, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, offset, b.length);
    }

    private void pad() throws IOException {
        int tail = (int) (written % BLOCK);
        if (tail != 0) {
            write(new byte[BLOCK - tail]);
        }
    }

    private void write(byte[] b) throws IOException {
        write(b, b.length);
    }

    private void write(byte[] b, int n) throws IOException {
        out.write(b, 0, n);
        written += n;
    }
}
