package dev.bulwark.check;

import dev.bulwark.envelope.Mailbox;

/**
 * The policy's view of one SMTP session. Not thread-safe: one session thread calls it, in SMTP
 * order: {@link #connect()} once, {@link #helo} whenever the client greets, then per transaction
 * {@link #mail}, {@link #rcpt} for each recipient, {@link #data} once, and {@link #reset()} when
 * the transaction ends for any reason (delivered, refused, RSET, new HELO).
 *
 * <p>Every method returns a value and never {@code null}; the default is "no opinion". An exception
 * thrown from any method is treated by the caller as a temporary failure (fail closed).
 *
 * <p>The evaluation is the one owner of the policy's state in a session: allowlisting, the discard,
 * quarantine or tag decided before DATA, and the score. The caller keeps none of it: it asks every
 * stage (also after an allowlisting), acts on reject and defer where they are given, relays on the
 * DATA verdict, and reports the running score of the latest {@link Decision}. So a discard,
 * quarantine or tag decided before DATA must be carried by the evaluation and returned by {@link
 * #data}; given at an earlier stage, the caller does nothing with it.
 *
 * <p>{@link #rcpt} only sees recipients that already passed {@link Filter#relayDomains()}.
 */
public interface Evaluation {

    /**
     * Where this session's authentication results come from; called once, before {@link
     * #connect()}. Without it, no authentication matcher holds.
     */
    default void authentication(AuthenticationFacts facts) {}

    default Decision connect() {
        return Decision.none();
    }

    default Decision helo(String helo) {
        return Decision.none();
    }

    default Decision mail(MailFacts mail) {
        return Decision.none();
    }

    default Decision rcpt(Mailbox recipient) {
        return Decision.none();
    }

    /** Evaluates the message of a transaction that has at least one accepted recipient. */
    default Decision data(Message message) {
        return Decision.none();
    }

    /** Ends the current transaction; session-level facts (client, HELO) are kept. */
    default void reset() {}
}
