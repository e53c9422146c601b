package dev.bulwark.audit;

import dev.bulwark.audit.AuditRecord.NextHopOutcome;
import dev.bulwark.audit.AuditRecord.RecipientOutcome;
import dev.bulwark.check.PolicyDigest;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Audit records for tests, with the fields a test does not care about filled plausibly. */
public final class Records {

    public static final PolicyDigest DIGEST = PolicyDigest.of("ab".repeat(32));

    private Records() {}

    public static AuditRecord transaction(
            AuditVerdict verdict,
            String reply,
            List<String> rules,
            List<RecipientOutcome> recipients,
            Optional<NextHopOutcome> nextHop) {
        return transaction(verdict, reply, rules, List.of(), recipients, nextHop);
    }

    public static AuditRecord transaction(
            AuditVerdict verdict,
            String reply,
            List<String> rules,
            List<String> shadow,
            List<RecipientOutcome> recipients,
            Optional<NextHopOutcome> nextHop) {
        AuditRecord.Builder b =
                AuditRecord.builder(AuditRecord.Kind.TRANSACTION, "s1", "192.0.2.7", DIGEST)
                        .transaction("s1.1")
                        .helo(Optional.of("client.example.org"))
                        .sender("<alice@sender.example>")
                        .message(1234, Optional.of("<m1@sender.example>"))
                        .verdict(verdict)
                        .hits(hits(rules, false))
                        .hits(hits(shadow, true))
                        .reply(reply)
                        // in the order the relay records them
                        .duration("session", Duration.ofMillis(5))
                        .duration("relay", Duration.ofMillis(2));
        recipients.forEach(b::recipient);
        nextHop.ifPresent(h -> b.nextHop(h.code() + " whatever the next hop said", h));
        return b.build(Instant.parse("2026-03-01T10:15:30.123Z"));
    }

    public static AuditRecord connection(AuditVerdict verdict, String reply, List<String> rules) {
        return AuditRecord.builder(AuditRecord.Kind.CONNECTION, "s2", "198.51.100.9", DIGEST)
                .balancer(Optional.of("10.0.0.2"))
                .verdict(verdict)
                .hits(hits(rules, false))
                .reply(reply)
                .build(Instant.parse("2026-03-01T10:15:30Z"));
    }

    public static AuditRecord greeting(AuditVerdict verdict, String reply, List<String> rules) {
        return AuditRecord.builder(AuditRecord.Kind.GREETING, "s3", "198.51.100.9", DIGEST)
                .helo(Optional.of("example.com"))
                .verdict(verdict)
                .hits(hits(rules, false))
                .reply(reply)
                .build(Instant.parse("2026-03-01T10:15:31Z"));
    }

    private static List<dev.bulwark.check.Hit> hits(List<String> ids, boolean shadow) {
        return ids.stream()
                .map(
                        id ->
                                new dev.bulwark.check.Hit(
                                        id,
                                        dev.bulwark.check.Stage.DATA,
                                        "test",
                                        dev.bulwark.check.Score.ZERO,
                                        shadow))
                .toList();
    }

    public static RecipientOutcome accepted(String address) {
        return new RecipientOutcome(address, true, "250 2.1.5 Recipient ok");
    }

    public static RecipientOutcome refused(String address, String reply, String... rules) {
        return new RecipientOutcome(address, false, reply, List.of(rules));
    }
}
