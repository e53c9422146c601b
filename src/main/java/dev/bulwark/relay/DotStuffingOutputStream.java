package dev.bulwark.relay;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Doubles a period at the start of every line (RFC 5321 section 4.5.2) and, on {@link #finish()},
 * ends the data with CRLF.CRLF. Input lines must end with CRLF.
 */
final class DotStuffingOutputStream extends FilterOutputStream {

    private static final byte[] END = {'.', '\r', '\n'};
    private static final byte[] CRLF_END = {'\r', '\n', '.', '\r', '\n'};

    private boolean atLineStart = true;
    private int last = '\n';

    DotStuffingOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        if (atLineStart && b == '.') {
            out.write('.');
        }
        out.write(b);
        atLineStart = b == '\n';
        last = b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        int start = off;
        int end = off + len;
        for (int i = off; i < end; i++) {
            if (atLineStart && b[i] == '.') {
                out.write(b, start, i - start);
                out.write('.');
                start = i;
            }
            atLineStart = b[i] == '\n';
        }
        out.write(b, start, end - start);
        if (len > 0) {
            last = b[end - 1];
        }
    }

    /** Writes the end-of-data marker (adding a CRLF first if the data did not end with one). */
    void finish() throws IOException {
        out.write(last == '\n' ? END : CRLF_END);
        out.flush();
    }

    @Override
    public void close() {
        // The underlying connection outlives the message.
    }
}
