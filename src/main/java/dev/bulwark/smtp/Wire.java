package dev.bulwark.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

import javax.net.ssl.SSLContext;

/**
 * The session layer's only view of the client's connection: the SMTP server library's session in
 * production, byte arrays in tests. The command lines themselves are read by whoever drives {@link
 * SmtpSession#command}.
 */
public interface Wire {

    /** Sends one reply: one or more lines joined by CRLF, without the final CRLF. */
    void send(String reply) throws IOException;

    /**
     * The raw input after the current command line: where DATA and BDAT content is read. Supports
     * mark/reset, so a reader can stop exactly at the end of a message.
     */
    InputStream input();

    /**
     * Makes the connection a TLS server connection with {@code context} and completes the
     * handshake; the next command line is read over TLS.
     *
     * @throws IOException if the handshake fails (the caller then closes)
     */
    void startTls(SSLContext context) throws IOException;

    /** Whether the connection is encrypted. */
    boolean isTls();

    /** The TLS protocol and cipher suite ({@code TLSv1.3 TLS_AES_256_GCM_SHA384}), if encrypted. */
    Optional<String> tlsDescription();

    /** Closes the connection; the session ends. */
    void close();

    /**
     * Closes the connection at once, from any thread: a blocked read, write or TLS handshake on it
     * fails. For a client that stopped reading or stalls a handshake; never blocks.
     */
    void abort();
}
