package dev.bulwark.smtp.adapter;

import dev.bulwark.smtp.Wire;

import org.subethamail.smtp.server.Session;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.Optional;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** The {@link Wire} of a SubEthaSMTP session: its socket (a {@link GuardedSocket}) and streams. */
final class LibraryWire implements Wire {

    private final Session session;

    LibraryWire(Session session) {
        this.session = session;
    }

    @Override
    public void send(String reply) throws IOException {
        session.sendResponse(reply);
    }

    @Override
    public InputStream input() {
        return session.getRawInput();
    }

    @Override
    public void startTls(SSLContext context) throws IOException {
        GuardedSocket plain = (GuardedSocket) session.getSocket();
        SSLSocket ssl =
                (SSLSocket)
                        context.getSocketFactory()
                                .createSocket(
                                        plain.inner(),
                                        plain.getInetAddress().getHostAddress(),
                                        plain.getPort(),
                                        true);
        ssl.setUseClientMode(false);
        SSLParameters params =
                TlsPolicy.serverParameters(ssl.getSSLParameters(), ssl.getSupportedCipherSuites());
        ssl.setSSLParameters(params);
        ssl.startHandshake();
        GuardedSocket guarded = new GuardedSocket(ssl, plain.raw());
        guarded.onLibraryError(plain.libraryErrorListener());
        session.setSocket(guarded);
        session.resetSmtpProtocol();
        session.setTlsStarted(true);
    }

    @Override
    public boolean isTls() {
        return session.isTLSStarted();
    }

    @Override
    public Optional<String> tlsDescription() {
        if (session.getSocket() instanceof GuardedSocket g && g.inner() instanceof SSLSocket ssl) {
            var s = ssl.getSession();
            return Optional.of(s.getProtocol() + " " + s.getCipherSuite());
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        session.quit();
    }

    @Override
    public void abort() {
        session.quit();
        try {
            // The socket under TLS too: closing an SSLSocket may try to write close_notify.
            Socket socket = session.getSocket();
            (socket instanceof GuardedSocket g ? g.raw() : socket).close();
        } catch (IOException ignored) {
            // Closed already: nothing left to stop.
        }
    }
}
