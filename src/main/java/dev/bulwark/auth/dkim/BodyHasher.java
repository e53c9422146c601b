package dev.bulwark.auth.dkim;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Canonicalizes a body as it streams by (RFC 6376 section 3.4.3 and 3.4.4) and hashes the first
 * {@code limit} canonical octets with SHA-256, counting all of them: the body is never held whole,
 * and what the l= tag leaves unsigned is known.
 */
final class BodyHasher {

    private final boolean relaxed;
    private final long limit;
    private final MessageDigest digest;
    private final byte[] buffer = new byte[8192];
    private int buffered;
    private long emitted;
    private long pendingEmptyLines;
    private boolean lineHasContent;
    private boolean pendingWsp;
    private boolean pendingCr;

    /**
     * @param relaxed relaxed canonicalization, else simple
     * @param limit the l= value, or -1 for the whole body
     */
    BodyHasher(boolean relaxed, long limit) {
        this.relaxed = relaxed;
        this.limit = limit;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    void update(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            int c = b[i] & 0xff;
            if (pendingCr) {
                pendingCr = false;
                if (c == '\n') {
                    endOfLine();
                    continue;
                }
                content('\r'); // a CR alone is an ordinary octet
            }
            if (c == '\r') {
                pendingCr = true;
            } else if (c == '\n') {
                endOfLine(); // a bare LF ends a line too: the relay refuses them, files may have
                // them
            } else if (relaxed && (c == ' ' || c == '\t')) {
                pendingWsp = true;
            } else {
                content(c);
            }
        }
    }

    private void content(int c) {
        if (!lineHasContent) {
            for (; pendingEmptyLines > 0; pendingEmptyLines--) {
                emit('\r');
                emit('\n');
            }
            lineHasContent = true;
        }
        if (pendingWsp) {
            emit(' ');
            pendingWsp = false;
        }
        emit(c);
    }

    private void endOfLine() {
        // Relaxed drops whitespace at the end of a line: a pending run is simply forgotten.
        pendingWsp = false;
        if (lineHasContent) {
            emit('\r');
            emit('\n');
            lineHasContent = false;
        } else {
            pendingEmptyLines++; // emitted only if content follows: trailing empty lines vanish
        }
    }

    private void emit(int c) {
        if (limit < 0 || emitted < limit) {
            buffer[buffered++] = (byte) c;
            if (buffered == buffer.length) {
                digest.update(buffer, 0, buffered);
                buffered = 0;
            }
        }
        emitted++;
    }

    /** Ends the body: a last line without CRLF gets one; an empty simple body is one CRLF. */
    byte[] finish() {
        if (pendingCr) {
            pendingCr = false;
            content('\r');
        }
        if (lineHasContent) {
            emit('\r');
            emit('\n');
            lineHasContent = false;
        }
        if (!relaxed && emitted == 0) {
            emit('\r');
            emit('\n');
        }
        digest.update(buffer, 0, buffered);
        buffered = 0;
        return digest.digest();
    }

    /** The canonical body's length, all of it (known after {@link #finish()}). */
    long canonicalLength() {
        return emitted;
    }
}
