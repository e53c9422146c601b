package dev.bulwark.smtp;

import dev.bulwark.audit.AuditRecord.RecipientOutcome;
import dev.bulwark.check.Hit;
import dev.bulwark.check.MailFacts;
import dev.bulwark.check.Verdict;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.relay.MailOptions;
import dev.bulwark.relay.RelayTransaction;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The state of one mail transaction, from MAIL to the end of DATA (or RSET). */
final class Transaction {

    final String id;
    final MailFacts mail;
    final MailOptions options;
    final RelayTransaction relay;
    final long startedNanos;
    final List<Mailbox> accepted = new ArrayList<>();
    final List<RecipientOutcome> outcomes = new ArrayList<>();
    final List<Hit> hits = new ArrayList<>();
    double score;
    boolean allowlisted;

    /** A discard, quarantine or tag decided before DATA, applied when the message arrives. */
    Optional<Verdict> pending = Optional.empty();

    long rcptNanos;
    long dataNanos;
    long relayNanos;

    /**
     * BDAT state: the spool and reader collecting chunks, and the deadline for the whole message.
     */
    Spool chunks;

    DataReader chunkReader;
    long chunksDeadline;
    boolean chunkFailed;

    /** Whether the message was streamed to the next hop (relayNanos then times it). */
    boolean relayed;

    /** Set once the audit record is written, so a timeout and the session's end never log twice. */
    final java.util.concurrent.atomic.AtomicBoolean audited =
            new java.util.concurrent.atomic.AtomicBoolean();

    Transaction(
            String id,
            MailFacts mail,
            MailOptions options,
            RelayTransaction relay,
            long startedNanos) {
        this.id = id;
        this.mail = mail;
        this.options = options;
        this.relay = relay;
        this.startedNanos = startedNanos;
    }
}
