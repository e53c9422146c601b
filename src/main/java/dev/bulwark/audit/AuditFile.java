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
 */
public final class AuditFile implements AuditSink, AutoCloseable {

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

    private long lost;
    private boolean closed;

    private AuditFile(Path path, Opener opener, PrintStream err, FileChannel channel) {
        this.path = path;
        this.opener = opener;
        this.err = err;
        this.channel = channel;
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
        ByteBuffer line =
                ByteBuffer.wrap(
                        (JsonAuditLog.format(record) + "\n").getBytes(StandardCharsets.UTF_8));
        lock.lock();
        try {
            if (closed) {
                return;
            }
            try {
                if (channel == null) {
                    channel = opener.open(path);
                }
                while (line.hasRemaining()) {
                    channel.write(line);
                }
            } catch (IOException | RuntimeException e) {
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
