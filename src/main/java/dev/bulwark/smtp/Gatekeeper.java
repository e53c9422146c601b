package dev.bulwark.smtp;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.check.Connection;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.Hit;
import dev.bulwark.check.Stage;
import dev.bulwark.ratelimit.Subject;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subethamail.smtp.server.Session;
import org.subethamail.smtp.server.SessionHandler;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides, before the banner, whether a connection may start a session: connection caps (total and
 * per client address) and the policy's connect stage. Registers each accepted session's {@link
 * Conversation} and cleans up when it ends.
 */
final class Gatekeeper implements SessionHandler {

    private static final Logger log = LoggerFactory.getLogger(Gatekeeper.class);

    private final ServerContext context;
    private final Map<Session, Conversation> conversations;
    private final AtomicInteger active = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();

    Gatekeeper(ServerContext context, Map<Session, Conversation> conversations) {
        this.context = context;
        this.conversations = conversations;
    }

    @Override
    public SessionAcceptance accept(Session session) {
        InetSocketAddress remote = session.getRemoteAddress();
        InetAddress client = remote.getAddress();
        InetAddress real = session.getRealRemoteAddress().getAddress();
        Optional<InetAddress> balancer =
                real.equals(client) && remote.getPort() == session.getRealRemoteAddress().getPort()
                        ? Optional.empty()
                        : Optional.of(real);
        Connection connection = new Connection(session.getSessionId(), client, balancer);
        if (active.incrementAndGet() > context.limits().maxConnections()) {
            active.decrementAndGet();
            return refuse(connection, Replies.TOO_MANY_CONNECTIONS, "limit:max-connections");
        }
        int fromClient = perClient.merge(client, 1, Integer::sum);
        if (fromClient > context.limits().maxConnectionsPerClient()) {
            release(client);
            return refuse(
                    connection,
                    Replies.TOO_MANY_CONNECTIONS_FROM_CLIENT,
                    "limit:max-connections-per-client");
        }
        Conversation c;
        try {
            Evaluation evaluation = context.filter().begin(connection);
            c = new Conversation(context, session, connection, evaluation);
        } catch (RuntimeException e) {
            log.error(
                    "session {} policy {}: policy could not start",
                    connection.sessionId(),
                    context.filter().digest().substring(0, 12),
                    e);
            release(client);
            return refuse(connection, Replies.CHECK_FAILED, "internal-error");
        }
        Decision d = c.decide(Stage.CONNECT, c.evaluation::connect);
        c.sessionHits.addAll(d.hits());
        c.sessionScore = d.score();
        Optional<Reply> refusal = Commands.sessionVerdict(c, Stage.CONNECT, d.verdict());
        if (refusal.isEmpty()) {
            refusal = c.limit(Stage.CONNECT, Subject.of(client), c.sessionHits);
        }
        if (refusal.isPresent()) {
            release(client);
            Reply r = refusal.get();
            if (r.code() == 451) {
                r =
                        new Reply(
                                421,
                                r.enhanced(),
                                r.text()); // at connect a temporary refusal closes: 421
            }
            return refuse(connection, r, c.sessionHits);
        }
        c.onSlotRelease(() -> release(client));
        conversations.put(session, c);
        context.connections().opened();
        c.arm(context.limits().commandTimeout(), Replies.COMMAND_TIMEOUT);
        context.deadlines().watch(c);
        return SessionAcceptance.success();
    }

    @Override
    public void onSessionEnd(Session session) {
        Conversation c = conversations.remove(session);
        if (c != null) {
            context.deadlines().unwatch(c);
            try {
                c.ended();
            } finally {
                c.releaseSlot();
                context.connections().closed();
            }
        }
    }

    int activeConnections() {
        return active.get();
    }

    private void release(InetAddress client) {
        active.decrementAndGet();
        perClient.computeIfPresent(client, (k, v) -> v <= 1 ? null : v - 1);
    }

    private SessionAcceptance refuse(Connection connection, Reply reply, String ruleId) {
        return refuse(
                connection, reply, List.of(new Hit(ruleId, Stage.CONNECT, reply.text(), 0, false)));
    }

    private SessionAcceptance refuse(Connection connection, Reply reply, List<Hit> hits) {
        context.audit()
                .record(
                        new AuditRecord(
                                context.clock().instant(),
                                AuditRecord.Kind.CONNECTION,
                                connection.sessionId(),
                                Optional.empty(),
                                connection.client().getHostAddress(),
                                connection.balancer().map(InetAddress::getHostAddress),
                                Optional.empty(),
                                Optional.empty(),
                                Optional.empty(),
                                List.of(),
                                Optional.empty(),
                                0,
                                reply.isTransient() ? "defer" : "refused",
                                0,
                                hits.stream().filter(h -> !h.shadow()).map(Hit::ruleId).toList(),
                                hits.stream().filter(Hit::shadow).map(Hit::ruleId).toList(),
                                context.filter().digest(),
                                Optional.empty(),
                                reply.line(),
                                Map.of()));
        return SessionAcceptance.failure(reply.code(), reply.enhanced() + " " + reply.text());
    }
}
