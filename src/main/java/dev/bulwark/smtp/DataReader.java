package dev.bulwark.smtp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads the DATA phase strictly. Only {@code <CRLF>.<CRLF>} ends the message: a bare LF or bare CR
 * anywhere (so {@code <LF>.<LF>}, {@code <CR>.<CR>}, {@code <LF>.<CR><LF>}, {@code <CR><LF>.<LF>}) is
 * content that marks the message as refused, never an end, so SMTP smuggling cannot split one
 * message into two. Whatever is wrong, the reader drains up to the real end so that nothing the
 * client sent is taken for a command. It never reads past the end marker: bytes after it stay in
 * the stream for the command reader (pipelining).
 */
final class DataReader {

    /** Why a message that was read to its end must be refused. */
    enum Problem {
        NONE,
        BARE_LINE_ENDING,
        TOO_BIG,
        HEADER_TOO_BIG,
        LINE_TOO_LONG
    }

    /**
     * @param problem the first problem found ({@link Problem#BARE_LINE_ENDING} wins over the others)
     * @param received octets received after dot-unstuffing (also counting what was discarded)
     * @param headerEnd offset of the first body octet (after the empty line), or the size if the
     *     message has no body
     */
    record Result(Problem problem, long received, long headerEnd) {}

    private static final int BUFFER = 8192;

    private final long maxSize;
    private final int maxLine;
    private final int maxHeader;

    DataReader(long maxSize, int maxLine, int maxHeader) {
        this.maxSize = maxSize;
        this.maxLine = maxLine;
        this.maxHeader = maxHeader;
    }

    /**
     * Reads one message from {@code in} (which must support mark/reset, like the session's
     * buffered stream) into {@code spool}.
     *
     * @throws EOFException if the client closed the connection before the end marker
     */
    Result read(InputStream in, Spool spool) throws IOException {
        byte[] buf = new byte[BUFFER];
        Problem problem = Problem.NONE;
        boolean lineStart = true;
        boolean prevCr = false;
        boolean dotPending = false;
        boolean dotCr = false;
        boolean inHeaders = true;
        long lineLength = 0;
        long headerBytes = 0;
        long headerEnd = -1;
        long received = 0;
        boolean storing = true;

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
                        return new Result(problem, received, headerEnd < 0 ? received : headerEnd);
                    }
                    problem = worse(problem, Problem.BARE_LINE_ENDING);
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
                    if (storing) {
                        storing = store(spool, buf, segment, i, received - (i - segment));
                    }
                    dotPending = true;
                    lineStart = false;
                    segment = i + 1;
                    continue;
                }
                lineStart = false;
                received++;
                if (inHeaders && ++headerBytes > maxHeader) {
                    problem = worse(problem, Problem.HEADER_TOO_BIG);
                }
                if (b == '\n') {
                    if (prevCr) {
                        if (inHeaders && lineLength == 0) {
                            inHeaders = false;
                            headerEnd = received;
                        }
                        lineStart = true;
                    } else {
                        problem = worse(problem, Problem.BARE_LINE_ENDING);
                    }
                    prevCr = false;
                    lineLength = 0;
                } else if (b == '\r') {
                    if (prevCr) {
                        problem = worse(problem, Problem.BARE_LINE_ENDING);
                    }
                    prevCr = true;
                } else {
                    if (prevCr) {
                        problem = worse(problem, Problem.BARE_LINE_ENDING);
                        prevCr = false;
                    }
                    if (++lineLength > maxLine) {
                        problem = worse(problem, Problem.LINE_TOO_LONG);
                    }
                }
                if (received > maxSize) {
                    problem = worse(problem, Problem.TOO_BIG);
                }
            }
            if (storing) {
                storing = store(spool, buf, segment, n, received - (n - segment));
            }
        }
    }

    /** Stores a segment unless the message is already over its size: then nothing more is kept. */
    private boolean store(Spool spool, byte[] buf, int from, int to, long offsetOfSegment) throws IOException {
        if (from >= to) {
            return true;
        }
        if (offsetOfSegment + (to - from) > maxSize) {
            return false;
        }
        spool.write(buf, from, to - from);
        return true;
    }

    private static Problem worse(Problem current, Problem found) {
        if (current == Problem.NONE || found == Problem.BARE_LINE_ENDING) {
            return found;
        }
        return current;
    }
}
