package dev.bulwark.check;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A received message as the client sent it, dot-unstuffed, lines ending in CRLF, without the trace
 * headers the relay adds. It may live in memory or in a spill file; read it with {@link #open()} as
 * often as needed while the transaction lasts.
 */
public interface Message {

    /** A message held in memory (the array is not copied: do not change it afterwards). */
    static Message of(byte[] octets) {
        return new Message() {
            @Override
            public long size() {
                return octets.length;
            }

            @Override
            public InputStream open() {
                return new ByteArrayInputStream(octets);
            }

            @Override
            public void copy(long from, long to, OutputStream out) throws IOException {
                out.write(octets, (int) from, (int) (to - from));
            }
        };
    }

    /** Size in octets. */
    long size();

    /** A fresh stream over the whole message. */
    InputStream open() throws IOException;

    /**
     * Copies the octets {@code [from, to)} to {@code out}. Implementations that hold the message in
     * memory override this to write without an intermediate stream.
     */
    default void copy(long from, long to, OutputStream out) throws IOException {
        try (InputStream in = open()) {
            in.skipNBytes(from);
            long left = to - from;
            byte[] buffer = new byte[(int) Math.min(64 * 1024, Math.max(left, 1))];
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException("message shorter than " + to + " octets");
                }
                out.write(buffer, 0, n);
                left -= n;
            }
        }
    }
}
