package dev.bulwark.audit;

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
 * @param durationsMs milliseconds per stage (connect, mail, rcpt, data, relay, total)
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
        Map<String, Long> durationsMs) {

    public AuditRecord {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(kind, "kind");
        recipients = List.copyOf(recipients);
        rules = List.copyOf(rules);
        shadowRules = List.copyOf(shadowRules);
        durationsMs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(durationsMs));
    }

    /** What a record is about. */
    public enum Kind {
        TRANSACTION,
        CONNECTION;

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One RCPT and what we answered. */
    public record RecipientOutcome(String address, boolean accepted, String reply) {}

    public Map<String, Long> durations() {
        return durationsMs;
    }
}
