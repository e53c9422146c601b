package dev.bulwark.smtp;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.check.Connection;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.Hit;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.ratelimit.Outcome;
import dev.bulwark.ratelimit.Subject;
import dev.bulwark.relay.NextHopReply;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subethamail.smtp.server.Session;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import javax.net.ssl.SSLSocket;

/**
 * One SMTP session's state: the client, its greeting, the policy evaluation, the open transaction,
 * counters and the deadline. Used by the session's own thread, except for the deadline timer, which
 * only writes a 421 and closes; the lock keeps the two from writing at once.
 */
final class Conversation implements Deadlines.Watched {

    private static final Logger log = LoggerFactory.getLogger(Conversation.class);

    final ServerContext context;
    final Session session;
    final Connection connection;
    final Evaluation evaluation;
    final long startedNanos;

    Optional<String> helo = Optional.empty();
    boolean esmtp;
    boolean allowlisted;
    final List<Hit> sessionHits = new ArrayList<>();
    double sessionScore;
    int commands;
    int errors;
    int transactions;
    Transaction transaction;

    private final ReentrantLock lock = new ReentrantLock();
    private final java.util.concurrent.atomic.AtomicBoolean slotReleased =
            new java.util.concurrent.atomic.AtomicBoolean();
    private Runnable releaseSlot = () -> {};
    private volatile long deadline = Long.MAX_VALUE;
    private volatile Reply onExpiry = Replies.COMMAND_TIMEOUT;
    private boolean closed;

    Conversation(
            ServerContext context, Session session, Connection connection, Evaluation evaluation) {
        this.context = context;
        this.session = session;
        this.connection = connection;
        this.evaluation = evaluation;
        this.startedNanos = System.nanoTime();
    }

    String sessionId() {
        return connection.sessionId();
    }

    /** How log lines name this session: its id and the policy that decides for it. */
    String logTag() {
        String digest = context.filter().digest();
        return "session "
                + sessionId()
                + " policy "
                + digest.substring(0, Math.min(12, digest.length()));
    }

    boolean isTls() {
        return session.isTLSStarted();
    }

    /** Sends a reply; too many error replies end the session. */
    void reply(Reply reply) throws IOException {
        send(reply.line());
        if (reply.isError() && ++errors >= context.limits().maxErrors()) {
            close(Replies.TOO_MANY_ERRORS);
        }
    }

    /** Sends a multi-line reply as one write. */
    void replyLines(int code, List<String> lines) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            if (i > 0) {
                b.append("\r\n");
            }
            b.append(code).append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i));
        }
        send(b.toString());
    }

    private void send(String text) throws IOException {
        lock.lock();
        try {
            if (closed) {
                throw new IOException("session already closed");
            }
            session.sendResponse(text);
        } finally {
            lock.unlock();
        }
    }

    /** What to do once this session no longer counts against the connection caps. */
    void onSlotRelease(Runnable release) {
        this.releaseSlot = release;
    }

    /**
     * Stops counting this session against the connection caps, once. Done before the final reply,
     * so a client that reconnects the moment it reads "221" is not refused for its own old session.
     */
    void releaseSlot() {
        if (slotReleased.compareAndSet(false, true)) {
            releaseSlot.run();
        }
    }

    /** Sends a final reply (421, 221...) and closes the connection. */
    void close(Reply reply) {
        releaseSlot();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            deadline = Long.MAX_VALUE;
            try {
                session.sendResponse(reply.line());
            } catch (IOException ignored) {
                // The client may already be gone; we are closing anyway.
            }
        } finally {
            lock.unlock();
        }
        session.quit();
    }

    boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives the client {@code after} to complete what it must send next, or closes with {@code
     * reply}.
     */
    void arm(Duration after, Reply reply) {
        onExpiry = reply;
        deadline = context.deadlines().now() + after.toNanos();
    }

    void disarm() {
        deadline = Long.MAX_VALUE;
    }

    @Override
    public long deadline() {
        return deadline;
    }

    @Override
    public void expire() {
        Reply reply = onExpiry;
        lock.lock();
        try {
            // Re-check under the lock: the session thread may have disarmed it a moment ago.
            if (closed || deadline - context.deadlines().now() > 0) {
                return;
            }
            deadline = Long.MAX_VALUE;
        } finally {
            lock.unlock();
        }
        log.info("{}: {}", logTag(), reply.text());
        Transaction t = transaction;
        if (t != null) {
            audit(t, "tempfail", List.of(), reply, Optional.empty(), 0, Optional.empty());
        }
        close(reply);
    }

    /**
     * Asks the policy, failing closed: an exception inside a check becomes a temporary refusal that
     * is logged and audited, never an accept.
     */
    Decision decide(Stage stage, Supplier<Decision> check) {
        try {
            return check.get();
        } catch (RuntimeException e) {
            log.error("{}: policy check at {} failed", logTag(), stage.key(), e);
            return Decision.of(
                    new Verdict.Defer(Verdict.Reason.CHECK_FAILED, Optional.empty()),
                    new Hit(
                            "internal-error",
                            stage,
                            e.getClass().getSimpleName() + ": " + e.getMessage(),
                            0,
                            false));
        }
    }

    /**
     * Consumes the rate limits of a stage. Hits (refusing and shadow) are added to {@code hits} as
     * {@code ratelimit:<id>}; returns the reply to refuse with, if a limit refused.
     */
    Optional<Reply> limit(Stage stage, Subject subject, List<Hit> hits) {
        Outcome outcome;
        try {
            outcome = context.limiter().consume(stage, subject);
        } catch (RuntimeException e) {
            log.error("{}: rate limits at {} failed", logTag(), stage.key(), e);
            hits.add(
                    new Hit(
                            "internal-error",
                            stage,
                            e.getClass().getSimpleName() + ": " + e.getMessage(),
                            0,
                            false));
            return Optional.of(Replies.CHECK_FAILED);
        }
        for (Hit h : outcome.hits()) {
            hits.add(new Hit("ratelimit:" + h.ruleId(), h.stage(), h.detail(), 0, h.shadow()));
        }
        return outcome.refusal().map(e -> Replies.rateLimited(stage, e.retryAfter().isEmpty()));
    }

    /**
     * Ends the open transaction, if any: the next hop transaction is abandoned and the policy
     * reset.
     */
    void endTransaction() {
        Transaction t = transaction;
        transaction = null;
        if (t != null) {
            t.relay.abort();
            if (t.chunks != null) {
                t.chunks.close();
            }
            try {
                evaluation.reset();
            } catch (RuntimeException e) {
                log.error("{}: policy reset failed", logTag(), e);
            }
        }
    }

    /** Called once when the session ends, however it ends. */
    void ended() {
        disarm();
        lock.lock();
        try {
            closed = true;
        } finally {
            lock.unlock();
        }
        Transaction t = transaction;
        if (t != null) {
            audit(t, "aborted", List.of(), null, Optional.empty(), 0, Optional.empty());
            endTransaction();
        }
    }

    Optional<String> tlsDescription() {
        if (session.getSocket() instanceof GuardedSocket g && g.inner() instanceof SSLSocket ssl) {
            var s = ssl.getSession();
            return Optional.of(s.getProtocol() + " " + s.getCipherSuite());
        }
        return Optional.empty();
    }

    /** Writes the audit record of a transaction. {@code reply} may be null when the client left. */
    void audit(
            Transaction t,
            String verdict,
            List<Hit> more,
            Reply reply,
            Optional<NextHopReply> nextHop,
            long size,
            Optional<String> messageId) {
        if (!t.audited.compareAndSet(false, true)) {
            return;
        }
        List<String> rules = new ArrayList<>();
        List<String> shadow = new ArrayList<>();
        for (List<Hit> hits : List.of(sessionHits, t.hits, more)) {
            for (Hit h : hits) {
                (h.shadow() ? shadow : rules).add(h.ruleId());
            }
        }
        Map<String, Long> durations = new LinkedHashMap<>();
        long now = System.nanoTime();
        durations.put("session", ms(now - startedNanos));
        durations.put("transaction", ms(now - t.startedNanos));
        durations.put("rcpt", ms(t.rcptNanos));
        durations.put("data", ms(t.dataNanos));
        durations.put("relay", ms(t.relayNanos));
        context.audit()
                .record(
                        new AuditRecord(
                                context.clock().instant(),
                                AuditRecord.Kind.TRANSACTION,
                                sessionId(),
                                Optional.of(t.id),
                                connection.client().getHostAddress(),
                                connection.balancer().map(java.net.InetAddress::getHostAddress),
                                helo,
                                tlsDescription(),
                                Optional.of(t.mail.sender().toSmtp()),
                                t.outcomes,
                                messageId,
                                size,
                                verdict,
                                Math.max(t.score, sessionScore),
                                rules,
                                shadow,
                                context.filter().digest(),
                                nextHop.map(NextHopReply::summary),
                                reply == null ? "" : reply.line(),
                                durations,
                                nextHop.map(
                                        r ->
                                                new AuditRecord.NextHopOutcome(
                                                        t.relay == null
                                                                ? Stage.MAIL
                                                                : Stage.DATA, // no relay: the next
                                                        // hop refused MAIL
                                                        r.code(),
                                                        !r.local(),
                                                        t.relayed
                                                                ? Optional.of(
                                                                        Duration.ofNanos(
                                                                                t.relayNanos))
                                                                : Optional.empty()))));
    }

    static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
