package dev.bulwark.smtp;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.net.ssl.SSLContext;

/**
 * A {@link Wire} over byte arrays: what the client sends after its command lines (message content)
 * is given up front, every reply is kept. TLS is a flag: the handshake itself is the adapter's and
 * is tested over real sockets.
 */
final class FakeWire implements Wire {

    private final BufferedInputStream in;
    private final List<String> sent = new ArrayList<>();
    private boolean tls;
    private boolean closed;

    FakeWire(String input) {
        this(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
    }

    /** What the client sends after its command lines comes from {@code input}. */
    FakeWire(InputStream input) {
        this.in = new BufferedInputStream(input, 64);
    }

    FakeWire() {
        this("");
    }

    @Override
    public void send(String reply) {
        sent.add(reply);
    }

    @Override
    public InputStream input() {
        return in;
    }

    @Override
    public void startTls(SSLContext context) {
        tls = true;
    }

    @Override
    public boolean isTls() {
        return tls;
    }

    @Override
    public Optional<String> tlsDescription() {
        return tls ? Optional.of("TLSv1.3 TLS_AES_128_GCM_SHA256") : Optional.empty();
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public void abort() {
        closed = true;
    }

    /** Every reply sent, in order. */
    List<String> sent() {
        return List.copyOf(sent);
    }

    /** The last reply sent. */
    String last() {
        return sent.isEmpty() ? "" : sent.get(sent.size() - 1);
    }

    boolean closed() {
        return closed;
    }

    /** What is left of the input: what the session did not read. */
    String rest() throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
