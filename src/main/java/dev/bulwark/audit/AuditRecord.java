package dev.bulwark.audit;

import dev.bulwark.auth.Authentication;
import dev.bulwark.check.Hit;
import dev.bulwark.check.PolicyDigest;
import dev.bulwark.check.Score;
import dev.bulwark.check.Stage;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One audit line: a mail transaction, a connection refused before the banner, or a refused
 * greeting. Never holds message content. Build one with {@link #builder}.
 *
 * @param time when the record was completed
 * @param kind what the record is about
 * @param sessionId the SMTP session
 * @param transactionId the transaction within the session (empty unless a transaction)
 * @param client the client's address (the PROXY-protocol original when a trusted balancer sent one)
 * @param balancer the balancer's own address when PROXY protocol was used
 * @param helo what the client said in EHLO/HELO
 * @param tls the TLS protocol and cipher of the client session, if encrypted
 * @param sender the reverse-path, {@code <>} for the null sender
 * @param recipients every RCPT the client gave, with our answer
 * @param messageId the Message-ID header, if any
 * @param size the message size in octets (0 if no data was received)
 * @param verdict what became of the transaction, connection or greeting
 * @param score the policy score
 * @param classifier the classifier's spam probability of the message, when the policy has a
 *     classifier and judged the message
 * @param rules ids of the rules and limits that fired and acted
 * @param shadowRules ids of the shadow rules and limits that fired (recorded only)
 * @param policy the digest of the policy that decided
 * @param nextHopReply the next hop's final answer, for the log only
 * @param reply our final answer to the client (empty when the client left or reset)
 * @param durationsMs milliseconds per stage (session, transaction, rcpt, data, relay)
 * @param nextHop the next hop's final part in a transaction, structured for metrics: empty when the
 *     transaction never reached the point of asking the next hop for a final answer
 * @param authentication what SPF, DKIM, DMARC and the DNS lists gave, when the node checks them
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
        AuditVerdict verdict,
        Score score,
        OptionalDouble classifier,
        List<String> rules,
        List<String> shadowRules,
        PolicyDigest policy,
        Optional<String> nextHopReply,
        String reply,
        Map<String, Long> durationsMs,
        Optional<NextHopOutcome> nextHop,
        Optional<Authentication> authentication) {

    public AuditRecord {
        Objects.requireNonNull(authentication, "authentication");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(score, "score");
        Objects.requireNonNull(classifier, "classifier");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(reply, "reply");
        recipients = List.copyOf(recipients);
        rules = List.copyOf(rules);
        shadowRules = List.copyOf(shadowRules);
        durationsMs = Collections.unmodifiableMap(new LinkedHashMap<>(durationsMs));
        Objects.requireNonNull(nextHop, "nextHop");
    }

    /** Starts a record of {@code kind} for the session {@code sessionId} of {@code client}. */
    public static Builder builder(Kind kind, String sessionId, String client, PolicyDigest policy) {
        return new Builder(kind, sessionId, client, policy);
    }

    /** What a record is about. */
    public enum Kind {
        /** A mail transaction, from MAIL to its end. */
        TRANSACTION,
        /** A connection refused before the banner. */
        CONNECTION,
        /** A HELO or EHLO the policy refused (the session goes on; the client may greet again). */
        GREETING;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
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

    /**
     * Collects one record while a transaction (or a refusal) goes on; each part is set by the code
     * that knows it, by name. Not thread-safe; {@link #build} may be called more than once.
     */
    public static final class Builder {
        private final Kind kind;
        private final String sessionId;
        private final String client;
        private final PolicyDigest policy;
        private Optional<String> transactionId = Optional.empty();
        private Optional<String> balancer = Optional.empty();
        private Optional<String> helo = Optional.empty();
        private Optional<String> tls = Optional.empty();
        private Optional<String> sender = Optional.empty();
        private final List<RecipientOutcome> recipients = new ArrayList<>();
        private Optional<String> messageId = Optional.empty();
        private long size;
        private AuditVerdict verdict;
        private Score score = Score.ZERO;
        private OptionalDouble classifier = OptionalDouble.empty();
        private final List<String> rules = new ArrayList<>();
        private final List<String> shadowRules = new ArrayList<>();
        private Optional<String> nextHopReply = Optional.empty();
        private Optional<NextHopOutcome> nextHop = Optional.empty();
        private Optional<Authentication> authentication = Optional.empty();
        private String reply = "";
        private final Map<String, Long> durations = new LinkedHashMap<>();

        private Builder(Kind kind, String sessionId, String client, PolicyDigest policy) {
            this.kind = Objects.requireNonNull(kind, "kind");
            this.sessionId = Objects.requireNonNull(sessionId, "sessionId");
            this.client = Objects.requireNonNull(client, "client");
            this.policy = Objects.requireNonNull(policy, "policy");
        }

        public Builder transaction(String id) {
            transactionId = Optional.of(id);
            return this;
        }

        public Builder balancer(Optional<String> value) {
            balancer = Objects.requireNonNull(value);
            return this;
        }

        public Builder helo(Optional<String> value) {
            helo = Objects.requireNonNull(value);
            return this;
        }

        public Builder tls(Optional<String> value) {
            tls = Objects.requireNonNull(value);
            return this;
        }

        public Builder sender(String reversePath) {
            sender = Optional.of(reversePath);
            return this;
        }

        /** Adds the next RCPT, in the order the client gave them. */
        public Builder recipient(RecipientOutcome outcome) {
            recipients.add(Objects.requireNonNull(outcome));
            return this;
        }

        /** The message: octets received and its Message-ID. */
        public Builder message(long octets, Optional<String> id) {
            size = octets;
            messageId = Objects.requireNonNull(id);
            return this;
        }

        public Builder verdict(AuditVerdict value) {
            verdict = Objects.requireNonNull(value);
            return this;
        }

        public Builder score(Score value) {
            score = Objects.requireNonNull(value);
            return this;
        }

        /** Adds hits: acting ones to {@code rules}, shadow ones to {@code shadow_rules}. */
        public Builder classifier(OptionalDouble probability) {
            classifier = Objects.requireNonNull(probability);
            return this;
        }

        public Builder hits(List<Hit> hits) {
            for (Hit h : hits) {
                (h.shadow() ? shadowRules : rules).add(h.ruleId());
            }
            return this;
        }

        /** The next hop's final answer: the line as it said it, and its structured outcome. */
        public Builder nextHop(String summary, NextHopOutcome outcome) {
            nextHopReply = Optional.of(summary);
            nextHop = Optional.of(outcome);
            return this;
        }

        /** Our final reply line to the client. */
        public Builder reply(String line) {
            reply = Objects.requireNonNull(line);
            return this;
        }

        /** What the transaction's authentication checks gave (those that finished). */
        public Builder authentication(Authentication value) {
            authentication = Optional.of(value);
            return this;
        }

        public Builder duration(String name, Duration value) {
            durations.put(name, value.toMillis());
            return this;
        }

        /**
         * The record as completed at {@code time}.
         *
         * @throws IllegalStateException if no verdict was set
         */
        public AuditRecord build(Instant time) {
            if (verdict == null) {
                throw new IllegalStateException("an audit record needs a verdict");
            }
            return new AuditRecord(
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
                    classifier,
                    rules,
                    shadowRules,
                    policy,
                    nextHopReply,
                    reply,
                    durations,
                    nextHop,
                    authentication);
        }
    }
}
