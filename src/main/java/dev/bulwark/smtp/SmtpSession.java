package dev.bulwark.smtp;

import dev.bulwark.check.Limits;
import dev.bulwark.flow.Answer;
import dev.bulwark.flow.FlowSession;
import dev.bulwark.flow.Replies;
import dev.bulwark.flow.Reply;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import javax.net.ssl.SSLContext;

/**
 * One SMTP session's command state machine: sequence and syntax of every command, the EHLO
 * keywords, per-session counters and deadlines, STARTTLS, and DATA/BDAT reading; everything the
 * policy or the next hop decides is asked of the session's {@link FlowSession}. It talks to the
 * client only through a {@link Wire}, so it runs the same over a socket and over byte arrays.
 *
 * <p>Used by the session's own thread, except for the deadline timer. The timer never writes
 * itself: it claims an overdue session (one waiting for the client, whose deadline passed) and
 * hands the 421 to another thread; a write or TLS handshake that does not finish in time is cut off
 * by closing the socket. Whoever claims the session first owns its outcome: once the session thread
 * has the client's command or message, the timer cannot expire it (no 421 after a delivery), and
 * once the timer claimed it, the session thread drops what it read.
 */
public final class SmtpSession implements Deadlines.Watched {

    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);

    final SmtpService service;
    final Wire wire;
    final FlowSession flow;
    final Limits limits;

    /**
     * How many 452 "too many recipients" replies a session may get before they count as errors. A
     * client learns the recipient limit from them and sends the rest in another transaction (RFC
     * 5321 section 4.5.3.1.10), so they are not errors; counting them closed the session and lost
     * the recipients already accepted. Postfix's {@code smtpd_recipient_overshoot_limit} has the
     * same default; the command limit still bounds a session.
     */
    static final int RECIPIENT_OVERSHOOT = 1000;

    private int commands;
    private int errors;
    private int overshoot;

    /** BDAT state of the open transaction (its chunks' deadline, and whether one failed). */
    private Chunking chunking;

    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicBoolean slotReleased = new AtomicBoolean();
    private final Runnable releaseSlot;
    private volatile long deadline = Long.MAX_VALUE;
    private volatile Reply onExpiry = Replies.COMMAND_TIMEOUT;
    private boolean closed;

    /**
     * Who owns the session now: {@link #WAITING} for the client (the timer may expire it), {@link
     * #WORKING} on what the client sent, or {@link #EXPIRED} by the timer (final). The low bits are
     * the phase, the rest counts arms, so a timer that read an old arm cannot claim a new one.
     */
    private final AtomicLong state = new AtomicLong(WORKING);

    private static final long WAITING = 0;
    private static final long WORKING = 1;
    private static final long EXPIRED = 2;
    private static final long PHASE = 3;

    /** When the session must end, however busy (the site's session lifetime). */
    private final long sessionEnd;

    /**
     * When the open transaction must have its message (the site's transaction lifetime from MAIL,
     * or a BDAT message's whole deadline); enforced while waiting for a command, so NOOP, RSET,
     * unknown verbs and further RCPTs do not re-arm it.
     */
    private volatile long transactionEnd = Long.MAX_VALUE;

    /** Whether the client is sending message content (DATA or a BDAT chunk), not a command. */
    private volatile boolean content;

    /**
     * When a blocking operation of the session thread must have ended (a reply written, a TLS
     * handshake done), or {@link Long#MAX_VALUE}: past it the timer closes the socket.
     */
    private volatile long hardDeadline = Long.MAX_VALUE;

    /**
     * The BDAT chunks of one transaction: when the whole message is due, and whether one failed.
     */
    static final class Chunking {
        final String transaction;
        final long deadline;
        boolean failed;

        Chunking(String transaction, long deadline) {
            this.transaction = transaction;
            this.deadline = deadline;
        }
    }

    SmtpSession(SmtpService service, Wire wire, FlowSession flow, Runnable releaseSlot) {
        this.service = service;
        this.wire = wire;
        this.flow = flow;
        this.limits = service.limits();
        this.releaseSlot = releaseSlot;
        this.sessionEnd = now() + service.flow().resources().sessionLifetime().toNanos();
    }

    /**
     * Executes one command line (without its CRLF): counts it, checks its length, runs it, and
     * re-arms the command deadline. An unexpected exception ends the open transaction and becomes a
     * temporary failure (fail closed).
     */
    public void command(String line) throws IOException {
        if (!disarm()) {
            return; // the timer expired the session as this line arrived: it has the last word
        }
        if (++commands > limits.maxCommands()) {
            close(Replies.TOO_MANY_COMMANDS);
            return;
        }
        if (CommandSyntax.utf8Length(line) > limits.maxCommandLine()) {
            reply(Replies.LINE_TOO_LONG);
        } else {
            try {
                dispatch(line);
            } catch (RuntimeException e) {
                log.error("{}: {} failed", flow.logTag(), CommandSyntax.verb(line), e);
                flow.reset();
                reply(Replies.CHECK_FAILED);
            }
        }
        if (!isClosed()) {
            trackTransaction();
            arm(limits.commandTimeout(), Replies.COMMAND_TIMEOUT);
        }
    }

    /**
     * The server library answered a line itself with an error (an unknown verb, a malformed line):
     * it counts as a command and as an error, so a client cannot talk forever in verbs Bulwark
     * never sees. Called on the session's thread, after the library's reply was written.
     */
    public void answeredByLibrary() {
        if (isClosed()) {
            return;
        }
        if (++commands > limits.maxCommands()) {
            close(Replies.TOO_MANY_COMMANDS);
        } else if (++errors >= limits.maxErrors()) {
            close(Replies.TOO_MANY_ERRORS);
        }
    }

    /** Keeps the open transaction's deadline: set at MAIL, the BDAT message's once it started. */
    private void trackTransaction() {
        Optional<String> open = flow.transactionId();
        if (open.isEmpty()) {
            transactionEnd = Long.MAX_VALUE;
        } else if (flow.receiving()
                && chunking != null
                && chunking.transaction.equals(open.get())) {
            transactionEnd = chunking.deadline;
        } else if (transactionEnd == Long.MAX_VALUE) {
            transactionEnd = now() + service.flow().resources().transactionLifetime().toNanos();
        }
    }

    private void dispatch(String line) throws IOException {
        switch (CommandSyntax.verb(line).toUpperCase(Locale.ROOT)) {
            case "EHLO" -> EnvelopeCommands.greet(this, line, true);
            case "HELO" -> EnvelopeCommands.greet(this, line, false);
            case "MAIL" -> EnvelopeCommands.mail(this, line);
            case "RCPT" -> EnvelopeCommands.rcpt(this, line);
            case "DATA" -> MessageCommands.data(this, line);
            case "BDAT" -> MessageCommands.bdat(this, line);
            case "RSET" -> {
                if (!CommandSyntax.bare(line, "RSET")) {
                    reply(Replies.NO_PARAMETERS);
                    return;
                }
                flow.reset();
                reply(Replies.RESET);
            }
            case "NOOP" -> reply(Replies.OK);
            case "QUIT" -> {
                flow.reset();
                close(Replies.CLOSING);
            }
            case "HELP" -> reply(Replies.HELP);
            case "VRFY", "EXPN" -> reply(Replies.VRFY_DISABLED);
            case "AUTH" -> reply(Replies.AUTH_DISABLED);
            case "STARTTLS" -> startTls(line);
            default -> reply(Replies.UNKNOWN_COMMAND);
        }
    }

    private void startTls(String line) throws IOException {
        if (!CommandSyntax.bare(line, "STARTTLS")) {
            reply(Replies.NO_PARAMETERS);
            return;
        }
        Optional<SSLContext> tls = service.settings().tls();
        if (tls.isEmpty()) {
            reply(Replies.TLS_UNAVAILABLE);
            return;
        }
        if (wire.isTls()) {
            reply(Replies.TLS_ACTIVE);
            return;
        }
        // Anything the client sent after STARTTLS was sent in clear text and must not be executed
        // inside the encrypted session (CVE-2011-0411 and its many siblings): drop it.
        InputStream in = wire.input();
        int injected = in.available();
        if (injected > 0) {
            in.skipNBytes(injected);
            log.info("{}: discarded {} octets pipelined after STARTTLS", flow.logTag(), injected);
        }
        flow.reset();
        reply(Replies.READY_TLS);
        // A client that starts a handshake and stops would hold the session thread in it forever.
        hardDeadline = now() + limits.commandTimeout().toNanos();
        try {
            wire.startTls(tls.get());
        } catch (IOException e) {
            log.info("{}: TLS handshake failed: {}", flow.logTag(), e.getMessage());
            wire.close();
            return;
        } finally {
            hardDeadline = Long.MAX_VALUE;
        }
        flow.secured(wire.tlsDescription().orElse("TLS"));
    }

    /** The BDAT state of the open transaction {@code transaction}, started now if it is new. */
    Chunking chunking(String transaction) {
        if (chunking == null || !chunking.transaction.equals(transaction)) {
            chunking = new Chunking(transaction, now() + limits.dataTimeout().toNanos());
        }
        return chunking;
    }

    long now() {
        return service.deadlines().now();
    }

    // --- replies and closing ---------------------------------------------------------------------

    /** Gives the flow's answer: its reply, and closes after it if the answer says so. */
    void answer(Answer a) throws IOException {
        if (a.close()) {
            close(a.reply());
        } else {
            reply(a.reply());
        }
    }

    /** Sends a reply; too many error replies end the session. */
    void reply(Reply reply) throws IOException {
        send(reply.line());
        if (reply.equals(Replies.TOO_MANY_RECIPIENTS) && ++overshoot <= RECIPIENT_OVERSHOOT) {
            return;
        }
        if (reply.isError() && ++errors >= limits.maxErrors()) {
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
            writeBounded(text);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes with a deadline: a client that does not read fills its buffers and would block the
     * write forever; past the deadline the timer closes the socket and the write fails.
     */
    private void writeBounded(String text) throws IOException {
        hardDeadline = now() + writeTimeout().toNanos();
        try {
            wire.send(text);
        } finally {
            hardDeadline = Long.MAX_VALUE;
        }
    }

    /** How long one reply may take to write: the command timeout, at most 30 seconds. */
    private Duration writeTimeout() {
        Duration cap = Duration.ofSeconds(30);
        return limits.commandTimeout().compareTo(cap) < 0 ? limits.commandTimeout() : cap;
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
            state.set(EXPIRED);
            try {
                writeBounded(reply.line());
            } catch (IOException ignored) {
                // The client may already be gone; we are closing anyway.
            }
        } finally {
            lock.unlock();
        }
        wire.close();
    }

    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    // --- deadlines
    // ---------------------------------------------------------------------------------

    /**
     * Gives the client {@code after} to complete the command it must send next, or closes with
     * {@code reply}; the session waits for the client now.
     */
    void arm(Duration after, Reply reply) {
        arm(after, reply, false);
    }

    /**
     * Gives the client {@code after} to send message content (DATA, a BDAT chunk): the
     * transaction's own deadline does not apply while it arrives.
     */
    void armForContent(Duration after) {
        arm(after, Replies.DATA_TIMEOUT, true);
    }

    private void arm(Duration after, Reply reply, boolean forContent) {
        onExpiry = reply;
        content = forContent;
        deadline = now() + after.toNanos();
        long s = state.get();
        while ((s & PHASE) != EXPIRED && !state.compareAndSet(s, ((s >>> 2) + 1) << 2 | WAITING)) {
            s = state.get();
        }
    }

    /**
     * The session thread takes what the client sent: the timer can no longer expire the session.
     * Returns {@code false} if the timer expired it first; the caller must then drop what it read
     * and return (the timer's thread sends the 421).
     */
    boolean disarm() {
        deadline = Long.MAX_VALUE;
        while (true) {
            long s = state.get();
            if ((s & PHASE) == EXPIRED) {
                return false;
            }
            if ((s & PHASE) == WORKING || state.compareAndSet(s, (s & ~PHASE) | WORKING)) {
                return true;
            }
        }
    }

    @Override
    public long deadline() {
        long due = hardDeadline;
        if ((state.get() & PHASE) == WAITING) {
            due = Math.min(due, Math.min(deadline, sessionEnd));
            if (!content) {
                due = Math.min(due, transactionEnd);
            }
        }
        return due;
    }

    /**
     * On the timer's thread, and never blocking it: a write or handshake past its deadline has its
     * socket closed; a session waiting past a deadline is claimed and its 421 handed to {@code
     * handOff}.
     */
    @Override
    public void expire(java.util.concurrent.Executor handOff) {
        long now = now();
        if (hardDeadline - now <= 0) {
            log.info("{}: client does not read or finish the handshake; closing", flow.logTag());
            wire.abort();
            return;
        }
        long s = state.get();
        if ((s & PHASE) != WAITING) {
            return;
        }
        // The deadline that passed first names the reason; on a tie the command's own.
        long due = deadline;
        Reply reply = onExpiry;
        if (!content && transactionEnd - due < 0) {
            due = transactionEnd;
            reply = Replies.TRANSACTION_TIMEOUT;
        }
        if (sessionEnd - due < 0) {
            due = sessionEnd;
            reply = Replies.SESSION_LIFETIME;
        }
        if (due - now > 0) {
            return;
        }
        if (!state.compareAndSet(s, EXPIRED)) {
            return; // the session thread took the client's input a moment ago
        }
        Reply closing = reply;
        handOff.execute(
                () -> {
                    log.info("{}: {}", flow.logTag(), closing.text());
                    flow.expire(closing);
                    close(closing);
                    // The session thread may be blocked reading: end the connection now rather
                    // than at the library's read timeout.
                    wire.abort();
                });
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
        flow.end();
    }
}
