package dev.bulwark.flow;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.AuditRecord.NextHopOutcome;
import dev.bulwark.check.Hit;
import dev.bulwark.check.MailFacts;
import dev.bulwark.check.Stage;
import dev.bulwark.envelope.Mailbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One mail transaction, from MAIL to its end: the envelope, what the next hop said, the message as
 * it arrives, the hits, the timings, and its audit record as it is collected. Used by the session's
 * thread; only {@link #audited} is also touched by the deadline timer.
 */
final class Transaction {

    final String id;
    final MailFacts mail;
    final MailOptions options;
    final long startedNanos;
    final AuditRecord.Builder record;
    final List<Mailbox> accepted = new ArrayList<>();
    final List<Hit> hits = new ArrayList<>();
    int recipientsGiven;

    /** Set once the next hop took MAIL FROM; null while the transaction is being opened. */
    NextHopTransaction relay;

    /** Its share of the node's transactions and in-flight octets; released when it ends. */
    Occupancy.Claim claim;

    /** The message, from the first DATA or BDAT on. */
    Incoming incoming;

    /** The next hop's final answer and where it came, once there is one. */
    Optional<NextHopReply> nextHopAnswer = Optional.empty();

    Stage nextHopStage = Stage.MAIL;

    long rcptNanos;
    long dataNanos;
    long relayNanos;

    /** Whether the message was streamed to the next hop ({@link #relayNanos} then times it). */
    boolean relayed;

    /** Set once the audit record is written, so a timeout and the session's end never log twice. */
    final AtomicBoolean audited = new AtomicBoolean();

    Transaction(
            String id,
            MailFacts mail,
            MailOptions options,
            long startedNanos,
            AuditRecord.Builder record) {
        this.id = id;
        this.mail = mail;
        this.options = options;
        this.startedNanos = startedNanos;
        this.record = record;
    }

    /** The only recipient, for the Received header's "for" clause. */
    Optional<Mailbox> single() {
        return accepted.size() == 1 ? Optional.of(accepted.get(0)) : Optional.empty();
    }

    void nextHop(NextHopReply reply, Stage stage) {
        nextHopAnswer = Optional.of(reply);
        nextHopStage = stage;
    }

    /**
     * Adds what the transaction knows to its record: its hits, its timings and the next hop's final
     * answer.
     */
    void complete(long nowNanos) {
        record.hits(hits)
                .duration("transaction", Duration.ofNanos(nowNanos - startedNanos))
                .duration("rcpt", Duration.ofNanos(rcptNanos))
                .duration("data", Duration.ofNanos(dataNanos))
                .duration("relay", Duration.ofNanos(relayNanos));
        nextHopAnswer.ifPresent(
                a ->
                        record.nextHop(
                                a.summary(),
                                new NextHopOutcome(
                                        nextHopStage,
                                        a.code(),
                                        !a.local(),
                                        relayed
                                                ? Optional.of(Duration.ofNanos(relayNanos))
                                                : Optional.empty())));
    }

    /** Releases what the transaction holds at the next hop and in the spool. */
    void close() {
        try {
            if (relay != null) {
                relay.abort();
            }
            if (incoming != null) {
                incoming.close();
            }
        } finally {
            release();
        }
    }

    /** Gives its share of the node back (also when MAIL refused it before it opened). */
    void release() {
        if (claim != null) {
            claim.release();
        }
    }
}
