package dev.bulwark.ratelimit;

import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.ReversePath;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a rate-limit check is about: the facts of the session known at the stage being checked. The
 * transaction flow builds one at connect and adds to it as the transaction goes on:
 *
 * <pre>{@code
 * Subject connect = Subject.of(client);                 // CONNECT (and HELO)
 * Subject mail    = connect.withSender(reversePath);    // MAIL
 * Subject rcpt    = mail.withRecipient(mailbox);        // RCPT, once per recipient
 * Subject data    = mail.withSize(octets);              // DATA, after the final dot
 * }</pre>
 *
 * @param client the client's address (the PROXY-protocol original behind a trusted balancer)
 * @param sender the reverse-path, from MAIL on; the null path {@code <>} is a value, not absence
 * @param recipient the recipient being checked, at RCPT only
 * @param size the message size in octets as received, at DATA only
 */
public record Subject(
        InetAddress client,
        Optional<ReversePath> sender,
        Optional<Mailbox> recipient,
        OptionalLong size) {

    public Subject {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(size, "size");
        if (size.isPresent() && size.getAsLong() < 0) {
            throw new IllegalArgumentException(
                    size.getAsLong() + " is not a valid message size: it must be >= 0");
        }
    }

    /** The subject at connect: only the client is known. */
    public static Subject of(InetAddress client) {
        return new Subject(client, Optional.empty(), Optional.empty(), OptionalLong.empty());
    }

    public Subject withSender(ReversePath value) {
        return new Subject(client, Optional.of(value), recipient, size);
    }

    public Subject withRecipient(Mailbox value) {
        return new Subject(client, sender, Optional.of(value), size);
    }

    public Subject withSize(long octets) {
        return new Subject(client, sender, recipient, OptionalLong.of(octets));
    }
}
