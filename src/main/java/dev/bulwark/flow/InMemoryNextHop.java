package dev.bulwark.flow;

import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.ReversePath;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A next hop that accepts every sender and recipient and keeps what it is given: the ruleset gate,
 * {@code bulwark check} and {@code policy measure} relay to it, so they run the same flow as the
 * server without a network. Thread-safe.
 */
public final class InMemoryNextHop implements NextHopClient {

    /**
     * One message as the next hop received it.
     *
     * @param sender the reverse-path of the transaction
     * @param recipients who it was for (the quarantine mailbox after a reroute)
     * @param message the octets, trace headers included, before dot-stuffing
     */
    public record Delivery(ReversePath sender, List<Mailbox> recipients, byte[] message) {
        public Delivery {
            Objects.requireNonNull(sender, "sender");
            recipients = List.copyOf(recipients);
            Objects.requireNonNull(message, "message");
        }
    }

    private static final NextHopReply MAIL_OK = ok(250, "2.1.0", "Sender ok");
    private static final NextHopReply RCPT_OK = ok(250, "2.1.5", "Recipient ok");
    private static final NextHopReply DATA_OK = ok(250, "2.0.0", "Ok: kept in memory");

    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

    @Override
    public NextHopTransaction begin(ReversePath sender, MailOptions options) {
        return new Kept(sender);
    }

    /** Everything delivered so far, in order. */
    public List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    private static NextHopReply ok(int code, String enhanced, String text) {
        return new NextHopReply(code, Optional.of(enhanced), List.of(text), false);
    }

    /** One transaction: collects the envelope, keeps the message. */
    private final class Kept implements NextHopTransaction {
        private ReversePath sender;
        private final List<Mailbox> recipients = new ArrayList<>();
        private boolean done;

        Kept(ReversePath sender) {
            this.sender = sender;
        }

        @Override
        public NextHopReply mailReply() {
            return MAIL_OK;
        }

        @Override
        public boolean senderRefused() {
            return false;
        }

        @Override
        public NextHopReply rcpt(Mailbox recipient) {
            recipients.add(recipient);
            return RCPT_OK;
        }

        @Override
        public NextHopReply reroute(ReversePath newSender, MailOptions options, Mailbox to) {
            sender = newSender;
            recipients.clear();
            return rcpt(to);
        }

        @Override
        public NextHopReply data(Payload payload) {
            if (done || recipients.isEmpty()) {
                return new NextHopReply(
                        554, Optional.of("5.5.1"), List.of("no valid recipients"), true);
            }
            done = true;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                payload.writeTo(out);
            } catch (IOException e) {
                return NextHopReply.failure("4.3.0", "cannot read the message: " + e.getMessage());
            }
            deliveries.add(new Delivery(sender, recipients, out.toByteArray()));
            return DATA_OK;
        }

        @Override
        public void abort() {
            done = true;
        }
    }
}
