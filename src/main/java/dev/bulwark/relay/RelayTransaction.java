package dev.bulwark.relay;

import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.ReversePath;
import dev.bulwark.flow.MailOptions;
import dev.bulwark.flow.NextHopReply;
import dev.bulwark.flow.NextHopTransaction;
import dev.bulwark.flow.Payload;

import java.io.IOException;

/**
 * One mail transaction on the next hop, opened by {@link NextHop#begin}. Call order: {@link #rcpt}
 * for each recipient the client gives, then either {@link #data} once or {@link #abort()}. A
 * transaction whose MAIL was refused holds no connection, and every later call answers with that
 * refusal. Not thread-safe: it belongs to one SMTP session.
 */
public final class RelayTransaction implements NextHopTransaction, AutoCloseable {

    private final NextHop nextHop;
    private final NextHopReply mailReply;
    private SmtpConnection connection;
    private int acceptedRecipients;

    /** MAIL FROM not yet sent: it goes out with the first RCPT (PIPELINING). */
    private String pendingMail;

    /** Whether the connection came from the pool (it may have died while idle). */
    private boolean reused;

    /** Whether the next hop refused MAIL FROM (the answer then reached the client at RCPT). */
    private boolean senderRefused;

    /** Why the transaction cannot go on: what every later call answers. */
    private NextHopReply finished;

    RelayTransaction(NextHop nextHop, SmtpConnection connection, NextHopReply mailReply) {
        this.nextHop = nextHop;
        this.connection = connection;
        this.mailReply = mailReply;
        this.finished = connection == null ? mailReply : null;
    }

    static RelayTransaction failed(NextHop nextHop, NextHopReply reply) {
        return new RelayTransaction(nextHop, null, reply);
    }

    static RelayTransaction deferred(
            NextHop nextHop, SmtpConnection connection, String mailCommand, boolean reused) {
        RelayTransaction t =
                new RelayTransaction(
                        nextHop,
                        connection,
                        new NextHopReply(
                                250,
                                java.util.Optional.of("2.1.0"),
                                java.util.List.of("sent with the first RCPT"),
                                true));
        t.pendingMail = mailCommand;
        t.reused = reused;
        return t;
    }

    /** {@code true} if the next hop refused the sender; RCPT then answered with that refusal. */
    @Override
    public boolean senderRefused() {
        return senderRefused;
    }

    /** The next hop's answer to MAIL FROM (or the failure to get one). */
    @Override
    public NextHopReply mailReply() {
        return mailReply;
    }

    public boolean isOpen() {
        return connection != null;
    }

    /** Whether the connection to the next hop is encrypted. */
    public boolean isTls() {
        return connection != null && connection.isTls();
    }

    /** Forwards one RCPT; the reply is the next hop's verdict on that recipient. */
    @Override
    public NextHopReply rcpt(Mailbox recipient) {
        if (connection == null) {
            return finishedReply();
        }
        String rcpt = "RCPT TO:" + recipient.toSmtp();
        try {
            NextHopReply reply;
            if (pendingMail != null) {
                NextHopReply[] replies = mailAndRcpt(rcpt);
                if (!replies[0].isPositive()) {
                    senderRefused = true;
                    SmtpConnection c = connection;
                    connection = null;
                    finished = replies[0];
                    nextHop.reset(c);
                    return replies[0];
                }
                reply = replies[1];
            } else {
                reply = connection.command(rcpt, nextHop.config().commandTimeout());
            }
            if (reply.isPositive()) {
                acceptedRecipients++;
            }
            return reply;
        } catch (IOException e) {
            return broken(e);
        }
    }

    /**
     * Sends the held-back MAIL with the first RCPT. A pooled connection the next hop closed while
     * it was idle only shows now: then the pair is sent once more on a fresh connection.
     */
    private NextHopReply[] mailAndRcpt(String rcpt) throws IOException {
        try {
            NextHopReply[] replies =
                    connection.pipeline(pendingMail, rcpt, nextHop.config().commandTimeout());
            pendingMail = null;
            return replies;
        } catch (IOException e) {
            if (!reused) {
                throw e;
            }
            nextHop.closed(connection);
            NextHop.Connected fresh = nextHop.connect();
            if (fresh.failure() != null) {
                connection = null;
                throw new IOException(fresh.failure().summary(), e);
            }
            connection = fresh.connection();
            reused = false;
            NextHopReply[] replies =
                    connection.pipeline(pendingMail, rcpt, nextHop.config().commandTimeout());
            pendingMail = null;
            return replies;
        }
    }

    /**
     * Starts over on the same connection with a different envelope (quarantine): RSET, MAIL, RCPT.
     * Returns the first non-positive reply, or the RCPT reply.
     */
    @Override
    public NextHopReply reroute(ReversePath sender, MailOptions options, Mailbox recipient) {
        if (connection == null) {
            return finishedReply();
        }
        try {
            NextHopReply reply = connection.command("RSET", nextHop.config().commandTimeout());
            if (reply.code() != 250) {
                return reply;
            }
            acceptedRecipients = 0;
            reply =
                    connection.command(
                            nextHop.mailCommand(sender, options, connection),
                            nextHop.config().commandTimeout());
            if (!reply.isPositive()) {
                return reply;
            }
            return rcpt(recipient);
        } catch (IOException e) {
            return broken(e);
        }
    }

    /**
     * Sends the message and returns the next hop's final answer. The data is buffered and flushed
     * once after the final dot. Afterwards the transaction is finished.
     */
    @Override
    public NextHopReply data(Payload payload) {
        if (connection == null) {
            return finishedReply();
        }
        if (acceptedRecipients == 0) {
            abort();
            return new NextHopReply(
                    554,
                    java.util.Optional.of("5.5.1"),
                    java.util.List.of("no valid recipients"),
                    true);
        }
        try {
            NextHopReply reply = connection.command("DATA", nextHop.config().commandTimeout());
            if (reply.code() != 354) {
                abort();
                return reply;
            }
            DotStuffingOutputStream stuffed = new DotStuffingOutputStream(connection.data());
            payload.writeTo(stuffed);
            stuffed.finish();
            reply = connection.readReply(nextHop.config().dataTimeout());
            SmtpConnection c = connection;
            connection = null;
            finished = NextHopReply.failure("4.3.0", "transaction already completed");
            if (reply.isPositive()) {
                nextHop.release(c);
            } else if (reply.code() < 400) {
                // A 3xx where the final reply is due: the next hop's state is unknown (it may still
                // be reading data), so an RSET could be taken for message text. Close it.
                nextHop.closed(c);
            } else {
                // The transaction is over either way (RFC 5321 4.1.1.4), but some servers keep its
                // state after refusing the data: start the next one from a clean slate.
                nextHop.reset(c);
            }
            return reply;
        } catch (IOException e) {
            return broken(e);
        }
    }

    /**
     * Abandons the transaction (RSET, unless nothing was sent yet) and returns the connection to
     * the pool.
     */
    @Override
    public void abort() {
        if (connection != null) {
            SmtpConnection c = connection;
            connection = null;
            finished = NextHopReply.failure("4.3.0", "transaction abandoned");
            if (pendingMail != null) {
                nextHop.release(c); // the next hop never saw this transaction
            } else {
                nextHop.reset(c);
            }
        }
    }

    private NextHopReply finishedReply() {
        return finished != null
                ? finished
                : NextHopReply.failure("4.3.0", "no next hop transaction");
    }

    @Override
    public void close() {
        abort();
    }

    private NextHopReply broken(IOException e) {
        SmtpConnection c = connection;
        connection = null;
        if (c != null) {
            nextHop.closed(c);
        }
        finished = NextHop.brokenConnection(e);
        return finished;
    }
}
