package dev.bulwark.flow;

import dev.bulwark.envelope.ReversePath;

/**
 * The next hop, as the transaction flow sees it: where accepted mail goes. {@code relay/} speaks
 * SMTP to the real one; {@link InMemoryNextHop} keeps what it is given (the ruleset gate and {@code
 * bulwark check}). Implementations are thread-safe and shared by every session.
 */
public interface NextHopClient {

    /**
     * Starts a transaction for {@code sender}. Always returns one: if its {@link
     * NextHopTransaction#mailReply()} is not positive, the transaction is already finished (the
     * next hop refused the sender or could not be reached) and every later call answers with that
     * refusal.
     */
    NextHopTransaction begin(ReversePath sender, MailOptions options);
}
