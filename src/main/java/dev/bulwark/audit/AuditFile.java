package dev.bulwark.audit;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Appends each audit record as one JSON line to a file (site setting {@code audit.file}). Every
 * line is handed to the operating system before {@link #record} returns (no buffer in the process),
 * so a node destroyed a moment later loses no line it has logged.
 *
 * <p>A file that cannot be written never disturbs mail flow: the first failure prints one line to
 * standard error (the journal), later failures are counted silently, and the next record tries the
 * file again; when it succeeds, one more line says how many records were lost.
 *
 * <p>Every line in the file is whole. A write that fails after part of a line reached the file (a
 * full disk: the image keeps the file on a small tmpfs) is cut back to where the line began, and
 * when that is impossible, or the file already ends inside a line when it is opened (the process
 * was killed in the middle of a write), the next record starts on a new line: a fragment never
 * glues itself to the next record, so at most the fragment itself is unreadable.
 */
public final class AuditFile implements AuditSink, AuditLines, AutoCloseable {

    /** Opens the file for appending; a seam so tests can make the file fail, then recover. */
    @FunctionalInterface
    interface Opener {
        FileChannel open(Path path) throws IOException;
    }

    private static final Opener APPEND =
            path ->
                    FileChannel.open(
                            path,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE,
                            StandardOpenOption.APPEND);

    private final Path path;
    private final Opener opener;
    private final PrintStream err;
    private final ReentrantLock lock = new ReentrantLock();

    /** Null after a failure: the next record reopens the file. */
    private FileChannel channel;

    /** The file ends inside a line: the next record must begin with a line break. */
    private boolean midLine;

    private long lost;
    private boolean closed;

    private AuditFile(Path path, Opener opener, PrintStream err, FileChannel channel) {
        this.path = path;
        this.opener = opener;
        this.err = err;
        this.channel = channel;
        this.midLine = endsMidLine(path);
    }

    /**
     * Opens (creating if needed) {@code path} for appending. Failing here is a configuration error
     * the operator must see at start, so it throws; failures after that are only reported.
     *
     * @throws IOException naming the file and the site setting when it cannot be opened
     */
    public static AuditFile open(Path path) throws IOException {
        return open(path, APPEND, System.err);
    }

    static AuditFile open(Path path, Opener opener, PrintStream err) throws IOException {
        try {
            return new AuditFile(path, opener, err, opener.open(path));
        } catch (IOException e) {
            throw new IOException("audit.file: cannot append to " + path + ": " + reason(e), e);
        }
    }

    @Override
    public void record(AuditRecord record) {
        line((JsonAuditLog.format(record) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void line(byte[] bytes) {
        ByteBuffer line = ByteBuffer.wrap(bytes);
        lock.lock();
        try {
            if (closed) {
                return;
            }
            long start = -1;
            try {
                if (channel == null) {
                    channel = opener.open(path);
                    midLine |= endsMidLine(path);
                }
                start = channel.size();
                if (midLine) {
                    ByteBuffer newline = ByteBuffer.wrap(new byte[] {'\n'});
                    while (newline.hasRemaining()) {
                        channel.write(newline);
                    }
                    midLine = false;
                    start = channel.size();
                }
                while (line.hasRemaining()) {
                    channel.write(line);
                }
            } catch (IOException | RuntimeException e) {
                cutBack(start, line);
                failed(e);
                return;
            }
            if (lost > 0) {
                err.println(
                        "bulwark: audit file "
                                + path
                                + " is writable again; "
                                + lost
                                + " record(s) were not written to it (standard output has them)");
                lost = 0;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * After a failed write: removes the part of the line that reached the file, or remembers that
     * the next record must start on a new line.
     */
    private void cutBack(long start, ByteBuffer line) {
        if (start < 0 || line.position() == 0) {
            return; // nothing of this line was written
        }
        try {
            channel.truncate(start);
            if (channel.size() == start) {
                return;
            }
        } catch (IOException | RuntimeException ignored) {
            // Fall through: the fragment stays, the next record starts a new line.
        }
        midLine = true;
    }

    /** Whether the file's last octet is not a line feed (false for an empty or missing file). */
    private static boolean endsMidLine(Path path) {
        try (FileChannel read = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = read.size();
            if (size == 0) {
                return false;
            }
            ByteBuffer last = ByteBuffer.allocate(1);
            return read.read(last, size - 1) == 1 && last.get(0) != '\n';
        } catch (IOException | RuntimeException e) {
            return false; // a device such as /dev/full, or a file that is not there yet
        }
    }

    private void failed(Exception e) {
        if (lost == 0) {
            err.println(
                    "bulwark: cannot write audit file "
                            + path
                            + ": "
                            + reason(e)
                            + "; mail flow continues, records go to standard output only until the"
                            + " file is writable again");
        }
        lost++;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Already failing; the reopen on the next record is what matters.
            }
            channel = null;
        }
    }

    private static String reason(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Closes the file and opens {@code path} again, creating it: after a rotation renamed the old
     * file, the next line goes to a new one. The chain (held by {@link AuditChain}, not here)
     * continues, so the new file's first line carries the hash of the old file's last.
     */
    @Override
    public void reopen() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // The old file is gone from our view either way; the new one is what matters.
                }
            }
            try {
                channel = opener.open(path);
                midLine = endsMidLine(path);
            } catch (IOException | RuntimeException e) {
                channel = null;
                failed(e);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            if (channel != null) {
                channel.close();
                channel = null;
            }
        } catch (IOException e) {
            err.println("bulwark: closing audit file " + path + ": " + reason(e));
        } finally {
            lock.unlock();
        }
    }
}
