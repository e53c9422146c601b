package dev.bulwark.envelope;

/**
 * The reverse-path of a transaction: either a mailbox or the null path {@code <>} used by bounces.
 * The null path is a type of its own, never {@code null} or an empty string.
 */
public sealed interface ReversePath permits Mailbox, NullPath {

    /** The path as written in an SMTP command, angle brackets included. */
    String toSmtp();

    static ReversePath nullPath() {
        return NullPath.INSTANCE;
    }
}
