package dev.bulwark.policy;

import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.ReversePath;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * The envelope of one simulated transaction: who connects, how it greets, the sender and the
 * recipients (written as the client would, checked against the relay domains first).
 */
public record Envelope(
        InetAddress client, String helo, ReversePath sender, List<String> recipients) {
    public Envelope {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(helo, "helo");
        Objects.requireNonNull(sender, "sender");
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("an envelope needs at least one recipient");
        }
    }

    public static Envelope of(
            InetAddress client, String helo, ReversePath sender, Mailbox... recipients) {
        return new Envelope(
                client,
                helo,
                sender,
                java.util.Arrays.stream(recipients).map(Mailbox::address).toList());
    }
}
