package dev.bulwark.flow;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads message content strictly, for DATA ({@link #read}) and for BDAT chunks ({@link #chunk}).
 *
 * <p>For DATA, only {@code <CRLF>.<CRLF>} ends the message: a bare LF or bare CR anywhere (so
 * {@code <LF>.<LF>}, {@code <CR>.<CR>}, {@code <LF>.<CR><LF>}, {@code <CR><LF>.<LF>}) is content
 * that marks the message as refused, never an end, so SMTP smuggling cannot split one message into
 * two. Whatever is wrong, the reader drains up to the real end so that nothing the client sent is
 * taken for a command, and it never reads past the end marker: bytes after it stay in the stream
 * for the command reader (pipelining). A NUL octet anywhere refuses the message too: RFC 5321 and
 * RFC 6152 forbid it without BINARYMIME (which we do not offer), and a next hop that drops NULs
 * would read {@code <CRLF><NUL>.<CRLF>} as the end of DATA and run the rest as commands (SMTP
 * smuggling); Postfix sites get the same with {@code message_reject_characters = \0}. A BDAT
 * message whose last octet is a CR has a bare CR as well. One reader serves one message; it is not
 * thread-safe.
 */
final class DataReader {

    /** Why a message that was read to its end must be refused. */
    enum Problem {
        NONE,
        BARE_LINE_ENDING,
        NUL,
        TOO_BIG,
        HEADER_TOO_BIG,
        LINE_TOO_LONG
    }

    /**
     * @param problem the first problem found ({@link Problem#BARE_LINE_ENDING} and {@link
     *     Problem#NUL}, the smuggling ones, win over the others)
     * @param received octets received after dot-unstuffing (also counting what was discarded)
     * @param headerEnd offset of the first body octet (after the empty line), or the size if the
     *     message has no body
     */
    record Result(Problem problem, long received, long headerEnd) {}

    private static final int BUFFER = 8192;

    private final long maxSize;
    private final int maxLine;
    private final int maxHeader;
    private final Spool spool;

    private Problem problem = Problem.NONE;
    private boolean lineStart = true;
    private boolean prevCr;
    private boolean inHeaders = true;
    private long lineLength;
    private long headerBytes;
    private long headerEnd = -1;
    private long received;
    private boolean storing = true;

    DataReader(long maxSize, int maxLine, int maxHeader, Spool spool) {
        this.maxSize = maxSize;
        this.maxLine = maxLine;
        this.maxHeader = maxHeader;
        this.spool = spool;
    }

    Result result() {
        return new Result(problem, received, headerEnd < 0 ? received : headerEnd);
    }

    /**
     * Reads one dot-terminated message from {@code in}, which must support mark/reset like the
     * session's buffered stream.
     *
     * @throws EOFException if the client closed the connection before the end marker
     */
    Result read(InputStream in) throws IOException {
        byte[] buf = new byte[BUFFER];
        boolean dotPending = false;
        boolean dotCr = false;
        while (true) {
            in.mark(BUFFER);
            int n = in.read(buf, 0, BUFFER);
            if (n < 0) {
                throw new EOFException("client closed the connection during DATA");
            }
            int segment = 0;
            for (int i = 0; i < n; i++) {
                byte b = buf[i];
                if (dotCr) {
                    dotCr = false;
                    if (b == '\n') {
                        in.reset();
                        in.skipNBytes(i + 1);
                        spool.finish();
                        return result();
                    }
                    found(Problem.BARE_LINE_ENDING);
                    segment = i;
                } else if (dotPending) {
                    dotPending = false;
                    if (b == '\r') {
                        dotCr = true;
                        segment = i + 1;
                        continue;
                    }
                    // A stuffed dot: it was dropped; this byte starts the line's content.
                    segment = i;
                } else if (lineStart && b == '.') {
                    store(buf, segment, i);
                    dotPending = true;
                    lineStart = false;
                    segment = i + 1;
                    continue;
                }
                if (b != '\r' && b != '\n' && !prevCr) {
                    i = ordinaryRun(buf, i, n) - 1;
                    continue;
                }
                check(b);
            }
            store(buf, segment, n);
        }
    }

    /**
     * The common case, a run of octets that are neither CR nor LF, checked in one step: the same
     * result as {@link #check} on each of them, without the per-octet branches. Returns the index
     * after the run.
     */
    private int ordinaryRun(byte[] buf, int from, int to) {
        int end = from;
        while (end < to && buf[end] != '\r' && buf[end] != '\n') {
            if (buf[end] == 0) {
                found(Problem.NUL);
            }
            end++;
        }
        int run = end - from;
        lineStart = false;
        // Which limit the run crosses first, octet by octet, as check() would find them.
        long toHeader = inHeaders ? maxHeader - headerBytes + 1 : Long.MAX_VALUE;
        long toLine = maxLine - lineLength + 1;
        long toSize = maxSize - received + 1;
        received += run;
        lineLength += run;
        if (inHeaders) {
            headerBytes += run;
        }
        if (problem == Problem.NONE) {
            long first = Math.min(toHeader, Math.min(toLine, toSize));
            if (first <= run) {
                found(
                        first == toHeader
                                ? Problem.HEADER_TOO_BIG
                                : first == toLine ? Problem.LINE_TOO_LONG : Problem.TOO_BIG);
            }
        }
        return end;
    }

    /**
     * Reads one BDAT chunk of exactly {@code size} octets (RFC 3030): no dot-stuffing, no
     * terminator; the same checks as DATA apply across chunks.
     */
    void chunk(InputStream in, long size) throws IOException {
        byte[] buf = new byte[(int) Math.min(BUFFER, Math.max(size, 1))];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new EOFException("client closed the connection during BDAT");
            }
            for (int i = 0; i < n; i++) {
                if (buf[i] != '\r' && buf[i] != '\n' && !prevCr) {
                    i = ordinaryRun(buf, i, n) - 1;
                } else {
                    check(buf[i]);
                }
            }
            store(buf, 0, n);
            left -= n;
        }
    }

    /**
     * Ends a BDAT message. A message whose last octet is a CR ends in a bare CR: refused like one
     * in the middle (the chunk boundary must not hide it).
     */
    Result finish() throws IOException {
        if (prevCr) {
            found(Problem.BARE_LINE_ENDING);
        }
        spool.finish();
        return result();
    }

    /** Line-ending, line-length, header and size checks for one content octet. */
    private void check(byte b) {
        lineStart = false;
        received++;
        if (inHeaders && ++headerBytes > maxHeader) {
            found(Problem.HEADER_TOO_BIG);
        }
        if (b == '\n') {
            if (prevCr) {
                if (inHeaders && lineLength == 0) {
                    inHeaders = false;
                    headerEnd = received;
                }
                lineStart = true;
            } else {
                found(Problem.BARE_LINE_ENDING);
            }
            prevCr = false;
            lineLength = 0;
        } else if (b == '\r') {
            if (prevCr) {
                found(Problem.BARE_LINE_ENDING);
            }
            prevCr = true;
        } else {
            if (prevCr) {
                found(Problem.BARE_LINE_ENDING);
                prevCr = false;
            }
            if (b == 0) {
                found(Problem.NUL);
            }
            if (++lineLength > maxLine) {
                found(Problem.LINE_TOO_LONG);
            }
        }
        if (received > maxSize) {
            found(Problem.TOO_BIG);
        }
    }

    /**
     * Stores the content octets {@code buf[from, to)}, which were all passed through {@link
     * #check}. Once the message is over its size limit nothing more is kept: it will be refused
     * anyway.
     */
    private void store(byte[] buf, int from, int to) throws IOException {
        if (!storing || from >= to) {
            return;
        }
        long offset = received - (to - from);
        if (offset + (to - from) > maxSize) {
            storing = false;
            return;
        }
        spool.write(buf, from, to - from);
    }

    private void found(Problem p) {
        boolean smuggling = p == Problem.BARE_LINE_ENDING || p == Problem.NUL;
        if (problem == Problem.NONE
                || (smuggling && problem != Problem.BARE_LINE_ENDING && problem != Problem.NUL)) {
            problem = p;
        }
    }
}
