package dev.bulwark.flow;

import dev.bulwark.check.Message;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A received message: in memory up to a threshold, then in a temporary file, so memory per session
 * stays bounded whatever the message size. The file is deleted on {@link #close()}. Not
 * thread-safe; written once, then read any number of times.
 */
final class Spool implements Message, AutoCloseable {

    private static final int CHUNK = 64 * 1024;
    private static final int FIRST_CHUNK = 8 * 1024;
    private static final long BUDGET_STEP = 256 * 1024;

    private final Path directory;
    private final long memoryThreshold;
    private final List<byte[]> chunks = new ArrayList<>();
    private byte[] current;
    private int currentLength;
    private long size;
    private Path file;
    private FileChannel channel;
    private OutputStream fileOut;

    /** The transaction's share of the node's in-flight octets, if the node keeps a budget. */
    private final Occupancy.Claim claim;

    private boolean overBudget;

    Spool(Path directory, long memoryThreshold) {
        this(directory, memoryThreshold, null);
    }

    Spool(Path directory, long memoryThreshold, Occupancy.Claim claim) {
        this.directory = directory;
        this.memoryThreshold = memoryThreshold;
        this.claim = claim;
    }

    void write(byte[] b, int off, int len) throws IOException {
        if (len == 0 || overBudget) {
            return;
        }
        if (claim != null && size + len > claim.bytes()) {
            // Grow the share a step at a time, so a message without a declared SIZE costs the
            // budget what it really is. Once the node has no more octets to give, the rest is read
            // and dropped: the message is refused with 451 when it is complete.
            long need = size + len - claim.bytes();
            if (!claim.grow(Math.max(need, BUDGET_STEP))) {
                if (!claim.grow(need)) {
                    overBudget = true;
                    return;
                }
            }
        }
        if (fileOut == null && size + len > memoryThreshold) {
            spill();
        }
        size += len;
        if (fileOut != null) {
            fileOut.write(b, off, len);
            return;
        }
        while (len > 0) {
            if (current == null || currentLength == current.length) {
                // Most messages are small: start small, then double up to the chunk size.
                current =
                        new byte
                                [current == null
                                        ? FIRST_CHUNK
                                        : Math.min(CHUNK, current.length * 2)];
                currentLength = 0;
                chunks.add(current);
            }
            int n = Math.min(len, current.length - currentLength);
            System.arraycopy(b, off, current, currentLength, n);
            currentLength += n;
            off += n;
            len -= n;
        }
    }

    private void spill() throws IOException {
        file = Files.createTempFile(directory, "bulwark-", ".eml");
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        fileOut = new java.io.BufferedOutputStream(Channels.newOutputStream(channel), CHUNK);
        for (int i = 0; i < chunks.size(); i++) {
            byte[] chunk = chunks.get(i);
            fileOut.write(chunk, 0, i == chunks.size() - 1 ? currentLength : chunk.length);
        }
        chunks.clear();
        current = null;
    }

    /** Ends writing; the spool is read-only afterwards. */
    void finish() throws IOException {
        if (fileOut != null) {
            fileOut.flush();
        }
    }

    /**
     * Whether the node's in-flight budget ran out while this message arrived (it is incomplete).
     */
    boolean overBudget() {
        return overBudget;
    }

    boolean spilled() {
        return file != null;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public InputStream open() throws IOException {
        if (file != null) {
            return Files.newInputStream(file);
        }
        if (chunks.size() <= 1) {
            // Most messages fit one chunk: a plain array stream reads (and readAllBytes) fastest.
            return chunks.isEmpty()
                    ? InputStream.nullInputStream()
                    : new ByteArrayInputStream(chunks.get(0), 0, currentLength);
        }
        List<InputStream> parts = new ArrayList<>(chunks.size());
        for (int i = 0; i < chunks.size(); i++) {
            byte[] chunk = chunks.get(i);
            parts.add(
                    new ByteArrayInputStream(
                            chunk, 0, i == chunks.size() - 1 ? currentLength : chunk.length));
        }
        return new SequenceInputStream(Collections.enumeration(parts));
    }

    /** Copies the bytes {@code [from, to)} to {@code out}, without an intermediate stream. */
    @Override
    public void copy(long from, long to, OutputStream out) throws IOException {
        if (file != null) {
            try (InputStream in = Files.newInputStream(file)) {
                in.skipNBytes(from);
                long remaining = to - from;
                byte[] buf = new byte[CHUNK];
                while (remaining > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
                    if (n < 0) {
                        throw new IOException("spool file shorter than expected");
                    }
                    out.write(buf, 0, n);
                    remaining -= n;
                }
            }
            return;
        }
        long position = 0;
        for (int i = 0; i < chunks.size() && position < to; i++) {
            byte[] chunk = chunks.get(i);
            int length = i == chunks.size() - 1 ? currentLength : chunk.length;
            long start = Math.max(from, position);
            long end = Math.min(to, position + length);
            if (start < end) {
                out.write(chunk, (int) (start - position), (int) (end - start));
            }
            position += length;
        }
    }

    @Override
    public void close() {
        try {
            if (channel != null) {
                channel.close();
            }
            if (file != null) {
                Files.deleteIfExists(file);
            }
        } catch (IOException ignored) {
            // A temporary file on tmpfs: nothing more can be done.
        }
    }
}
