package dev.bulwark.audit;

import dev.bulwark.check.Stage;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One audit line: a mail transaction, or a connection that was refused or ended without one. Never
 * holds message content.
 *
 * @param time when the record was completed
 * @param kind what the record is about
 * @param sessionId the SMTP session
 * @param transactionId the transaction within the session (empty for connection records)
 * @param client the client's address (the PROXY-protocol original when a trusted balancer sent one)
 * @param balancer the balancer's own address when PROXY protocol was used
 * @param helo what the client said in EHLO/HELO
 * @param tls the TLS protocol and cipher of the client session, if encrypted
 * @param sender the reverse-path, {@code <>} for the null sender
 * @param recipients every RCPT the client gave, with our answer
 * @param messageId the Message-ID header, if any
 * @param size the message size in octets (0 if no data was received)
 * @param verdict accept, tag, quarantine, reject, defer, discard, refused (connection), tempfail,
 *     or aborted (client left or reset before DATA ended)
 * @param score the policy score
 * @param rules ids of the rules and limits that fired and acted
 * @param shadowRules ids of the shadow rules and limits that fired (recorded only)
 * @param policyDigest the policy digest that decided
 * @param nextHopReply the next hop's final answer, for the log only
 * @param reply our final answer to the client
 * @param durationsMs milliseconds per stage (session, transaction, rcpt, data, relay)
 * @param nextHop the next hop's final part in a transaction, structured for metrics: empty when the
 *     transaction never reached the point of asking the next hop for a final answer
 */
public record AuditRecord(
        Instant time,
        Kind kind,
        String sessionId,
        Optional<String> transactionId,
        String client,
        Optional<String> balancer,
        Optional<String> helo,
        Optional<String> tls,
        Optional<String> sender,
        List<RecipientOutcome> recipients,
        Optional<String> messageId,
        long size,
        String verdict,
        double score,
        List<String> rules,
        List<String> shadowRules,
        String policyDigest,
        Optional<String> nextHopReply,
        String reply,
        Map<String, Long> durationsMs,
        Optional<NextHopOutcome> nextHop) {

    public AuditRecord {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(kind, "kind");
        recipients = List.copyOf(recipients);
        rules = List.copyOf(rules);
        shadowRules = List.copyOf(shadowRules);
        durationsMs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(durationsMs));
        Objects.requireNonNull(nextHop, "nextHop");
    }

    /**
     * A record without a structured next-hop outcome (connection records, or before it is known).
     */
    public AuditRecord(
            Instant time,
            Kind kind,
            String sessionId,
            Optional<String> transactionId,
            String client,
            Optional<String> balancer,
            Optional<String> helo,
            Optional<String> tls,
            Optional<String> sender,
            List<RecipientOutcome> recipients,
            Optional<String> messageId,
            long size,
            String verdict,
            double score,
            List<String> rules,
            List<String> shadowRules,
            String policyDigest,
            Optional<String> nextHopReply,
            String reply,
            Map<String, Long> durationsMs) {
        this(
                time,
                kind,
                sessionId,
                transactionId,
                client,
                balancer,
                helo,
                tls,
                sender,
                recipients,
                messageId,
                size,
                verdict,
                score,
                rules,
                shadowRules,
                policyDigest,
                nextHopReply,
                reply,
                durationsMs,
                Optional.empty());
    }

    /** What a record is about. */
    public enum Kind {
        TRANSACTION,
        CONNECTION;

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One RCPT and what we answered.
     *
     * @param address the recipient as the client gave it
     * @param accepted whether we answered 250
     * @param reply our reply line to that RCPT
     * @param rules ids of the rules and limits that refused this recipient (empty when accepted, or
     *     when the next hop refused it)
     */
    public record RecipientOutcome(
            String address, boolean accepted, String reply, List<String> rules) {

        public RecipientOutcome {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(reply, "reply");
            rules = List.copyOf(rules);
        }

        public RecipientOutcome(String address, boolean accepted, String reply) {
            this(address, accepted, reply, List.of());
        }
    }

    /**
     * The next hop's final answer in a transaction.
     *
     * @param stage where that answer came: {@link Stage#MAIL} when the next hop refused the sender
     *     or could not be reached at all, {@link Stage#DATA} when the message was sent (or a
     *     quarantine reroute failed)
     * @param code the reply code (a synthesised 451 when the next hop never answered)
     * @param answered {@code false} when the relay made the reply up because the next hop could not
     *     be reached, timed out or broke the connection
     * @param delivery how long streaming the message and waiting for the final reply took; empty
     *     when no message was streamed
     */
    public record NextHopOutcome(
            Stage stage, int code, boolean answered, Optional<Duration> delivery) {

        public NextHopOutcome {
            Objects.requireNonNull(stage, "stage");
            Objects.requireNonNull(delivery, "delivery");
        }

        /** The next hop took the message or the command (2xx/3xx). */
        public boolean positive() {
            return code >= 200 && code < 400;
        }
    }

    public Map<String, Long> durations() {
        return durationsMs;
    }
}
