package dev.bulwark.smtp.adapter;

import dev.bulwark.check.Connection;
import dev.bulwark.flow.Reply;
import dev.bulwark.smtp.SmtpService;
import dev.bulwark.smtp.SmtpSession;

import org.subethamail.smtp.server.Session;
import org.subethamail.smtp.server.SessionHandler;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;

/**
 * The library's session handler: before the banner, asks the service whether the connection may
 * start a session (connection caps, the policy's connect stage), and keeps each admitted session's
 * {@link SmtpSession} until it ends.
 */
final class Gatekeeper implements SessionHandler {

    private final SmtpService service;
    private final Map<Session, SmtpSession> sessions;

    Gatekeeper(SmtpService service, Map<Session, SmtpSession> sessions) {
        this.service = service;
        this.sessions = sessions;
    }

    @Override
    public SessionAcceptance accept(Session session) {
        InetSocketAddress remote = session.getRemoteAddress();
        InetAddress client = remote.getAddress();
        InetSocketAddress realRemote = session.getRealRemoteAddress();
        InetAddress real = realRemote.getAddress();
        Optional<InetAddress> balancer =
                real.equals(client) && remote.getPort() == realRemote.getPort()
                        ? Optional.empty()
                        : Optional.of(real);
        Connection connection = new Connection(session.getSessionId(), client, balancer);
        return switch (service.open(connection, new LibraryWire(session))) {
            case SmtpService.Opened.Admitted a -> {
                sessions.put(session, a.session());
                if (session.getSocket() instanceof GuardedSocket g) {
                    g.onLibraryError(a.session()::answeredByLibrary);
                }
                yield SessionAcceptance.success();
            }
            case SmtpService.Opened.Refused r -> refuse(r.reply());
        };
    }

    private static SessionAcceptance refuse(Reply reply) {
        return SessionAcceptance.failure(reply.code(), reply.enhanced() + " " + reply.text());
    }

    @Override
    public void onSessionEnd(Session session) {
        SmtpSession s = sessions.remove(session);
        if (s != null) {
            service.closed(s);
        }
    }
}
