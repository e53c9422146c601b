package dev.bulwark.check;

import java.io.IOException;
import java.io.InputStream;

/**
 * A received message as the client sent it, dot-unstuffed, lines ending in CRLF, without the trace
 * headers the relay adds. It may live in memory or in a spill file; read it with {@link #open()} as
 * often as needed while the transaction lasts.
 */
public interface Message {

    /** Size in octets. */
    long size();

    /** A fresh stream over the whole message. */
    InputStream open() throws IOException;
}
