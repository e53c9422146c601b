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
import java.util.concurrent.locks.ReentrantLock;

import javax.net.ssl.SSLContext;

/**
 * One SMTP session's command state machine: sequence and syntax of every command, the EHLO
 * keywords, per-session counters and deadlines, STARTTLS, and DATA/BDAT reading; everything the
 * policy or the next hop decides is asked of the session's {@link FlowSession}. It talks to the
 * client only through a {@link Wire}, so it runs the same over a socket and over byte arrays.
 *
 * <p>Used by the session's own thread, except for the deadline timer, which only writes a 421 and
 * closes; the lock keeps the two from writing at once.
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
    }

    /**
     * Executes one command line (without its CRLF): counts it, checks its length, runs it, and
     * re-arms the command deadline. An unexpected exception ends the open transaction and becomes a
     * temporary failure (fail closed).
     */
    public void command(String line) throws IOException {
        disarm();
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
            arm(limits.commandTimeout(), Replies.COMMAND_TIMEOUT);
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
        try {
            wire.startTls(tls.get());
        } catch (IOException e) {
            log.info("{}: TLS handshake failed: {}", flow.logTag(), e.getMessage());
            wire.close();
            return;
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
            wire.send(text);
        } finally {
            lock.unlock();
        }
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
                wire.send(reply.line());
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
     * Gives the client {@code after} to complete what it must send next, or closes with {@code
     * reply}.
     */
    void arm(Duration after, Reply reply) {
        onExpiry = reply;
        deadline = now() + after.toNanos();
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
            if (closed || deadline - now() > 0) {
                return;
            }
            deadline = Long.MAX_VALUE;
        } finally {
            lock.unlock();
        }
        log.info("{}: {}", flow.logTag(), reply.text());
        flow.expire(reply);
        close(reply);
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
