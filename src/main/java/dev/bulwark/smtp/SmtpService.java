package dev.bulwark.smtp;

import dev.bulwark.check.Connection;
import dev.bulwark.check.Limits;
import dev.bulwark.check.ReservedIds;
import dev.bulwark.flow.Answer;
import dev.bulwark.flow.Flow;
import dev.bulwark.flow.FlowSession;
import dev.bulwark.flow.Replies;
import dev.bulwark.flow.Reply;
import dev.bulwark.ops.ConnectionListener;

import java.util.Optional;

/**
 * What every SMTP session of one server shares: the transaction flow, the settings, the deadlines
 * and the connection caps. {@link #open} decides, before the banner, whether a connection may start
 * a session; {@link #closed} cleans up when it ends. Thread-safe.
 */
public final class SmtpService implements AutoCloseable {

    private final Flow flow;
    private final SmtpSettings settings;
    private final Limits limits;
    private final Deadlines deadlines;
    private final ConnectionListener connections;
    private final Admission admission;

    /** A service with its own deadline timer (closed with it). */
    public SmtpService(Flow flow, SmtpSettings settings, ConnectionListener connections) {
        this(flow, settings, Deadlines.forLimits(flow.policy().limits()), connections);
    }

    SmtpService(
            Flow flow, SmtpSettings settings, Deadlines deadlines, ConnectionListener connections) {
        this.flow = flow;
        this.settings = settings;
        this.limits = flow.policy().limits();
        this.deadlines = deadlines;
        this.connections = connections;
        this.admission = new Admission(limits, flow.resources());
    }

    /** Whether a new connection became a session, or was refused before the banner. */
    public sealed interface Opened {
        /** The connection has a session; its banner may be sent. */
        record Admitted(SmtpSession session) implements Opened {}

        /** The connection is refused with {@code reply} and closed. */
        record Refused(Reply reply) implements Opened {}
    }

    /**
     * A connection was accepted: the connection caps, then the policy's connect stage and rate
     * limits. An admitted session is watched by the deadlines and must be handed to {@link #closed}
     * when it ends.
     */
    public Opened open(Connection connection, Wire wire) {
        if (!flow.accepting()) {
            Answer a =
                    flow.refuse(
                            connection, Replies.SELF_CHECK_FAILED, ReservedIds.RUNTIME_INTEGRITY);
            return new Opened.Refused(a.reply());
        }
        Optional<Admission.Refusal> capped = admission.admit(connection.client());
        if (capped.isPresent()) {
            Answer a = flow.refuse(connection, capped.get().reply(), capped.get().ruleId());
            return new Opened.Refused(a.reply());
        }
        FlowSession session = flow.open(connection);
        Answer a;
        try {
            a = session.connect();
        } catch (RuntimeException e) {
            admission.release(connection.client());
            throw e;
        }
        if (a.refused()) {
            admission.release(connection.client());
            return new Opened.Refused(a.reply());
        }
        SmtpSession s =
                new SmtpSession(this, wire, session, () -> admission.release(connection.client()));
        connections.opened();
        s.arm(limits.commandTimeout(), Replies.COMMAND_TIMEOUT);
        deadlines.watch(s);
        return new Opened.Admitted(s);
    }

    /** The session ended, however it ended. */
    public void closed(SmtpSession session) {
        deadlines.unwatch(session);
        try {
            session.ended();
        } finally {
            session.releaseSlot();
            connections.closed();
        }
    }

    /** Connections counted against the caps now. */
    public int activeConnections() {
        return admission.active();
    }

    public Flow flow() {
        return flow;
    }

    SmtpSettings settings() {
        return settings;
    }

    Limits limits() {
        return limits;
    }

    Deadlines deadlines() {
        return deadlines;
    }

    @Override
    public void close() {
        deadlines.close();
    }
}
