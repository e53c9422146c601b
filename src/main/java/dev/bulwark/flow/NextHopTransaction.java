package dev.bulwark.flow;

import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.ReversePath;

/**
 * One mail transaction at the next hop, opened by {@link NextHopClient#begin}. Call order: {@link
 * #rcpt} for each recipient the client gives (each answer is the next hop's verdict on that
 * recipient, and ours), then {@link #reroute} at most once, then either {@link #data} once or
 * {@link #abort()}. Not thread-safe: it belongs to one SMTP session.
 */
public interface NextHopTransaction {

    /** The next hop's answer to MAIL FROM (or the failure to get one). */
    NextHopReply mailReply();

    /**
     * {@code true} if the next hop refused the sender after all: with PIPELINING the sender goes
     * out with the first recipient, so its refusal arrives as the answer to {@link #rcpt}.
     */
    boolean senderRefused();

    /** Forwards one recipient; the reply is the next hop's verdict on it. */
    NextHopReply rcpt(Mailbox recipient);

    /**
     * Starts over with a different envelope (quarantine): the recipients given so far are dropped
     * and {@code recipient} is the only one. Returns the first non-positive reply, or the answer to
     * the recipient.
     */
    NextHopReply reroute(ReversePath sender, MailOptions options, Mailbox recipient);

    /** Sends the message; the reply is the next hop's final answer. The transaction is over. */
    NextHopReply data(Payload payload);

    /** Abandons the transaction; nothing is delivered. Harmless after {@link #data}. */
    void abort();
}
