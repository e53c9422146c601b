package dev.bulwark.audit;

import dev.bulwark.audit.AuditRecord.NextHopOutcome;
import dev.bulwark.audit.AuditRecord.RecipientOutcome;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Audit records for tests, with the fields a test does not care about filled plausibly. */
public final class Records {

    public static final String DIGEST = "ab".repeat(32);

    private Records() {}

    public static AuditRecord transaction(
            String verdict,
            String reply,
            List<String> rules,
            List<RecipientOutcome> recipients,
            Optional<NextHopOutcome> nextHop) {
        return transaction(verdict, reply, rules, List.of(), recipients, nextHop);
    }

    public static AuditRecord transaction(
            String verdict,
            String reply,
            List<String> rules,
            List<String> shadow,
            List<RecipientOutcome> recipients,
            Optional<NextHopOutcome> nextHop) {
        return new AuditRecord(
                Instant.parse("2026-03-01T10:15:30.123Z"),
                AuditRecord.Kind.TRANSACTION,
                "s1",
                Optional.of("s1.1"),
                "192.0.2.7",
                Optional.empty(),
                Optional.of("client.example.org"),
                Optional.empty(),
                Optional.of("<alice@sender.example>"),
                recipients,
                Optional.of("<m1@sender.example>"),
                1234,
                verdict,
                0,
                rules,
                shadow,
                DIGEST,
                nextHop.map(h -> h.code() + " whatever the next hop said"),
                reply,
                orderedDurations(),
                nextHop);
    }

    public static AuditRecord connection(String verdict, String reply, List<String> rules) {
        return new AuditRecord(
                Instant.parse("2026-03-01T10:15:30Z"),
                AuditRecord.Kind.CONNECTION,
                "s2",
                Optional.empty(),
                "198.51.100.9",
                Optional.of("10.0.0.2"),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                List.of(),
                Optional.empty(),
                0,
                verdict,
                0,
                rules,
                List.of(),
                DIGEST,
                Optional.empty(),
                reply,
                Map.of());
    }

    public static RecipientOutcome accepted(String address) {
        return new RecipientOutcome(address, true, "250 2.1.5 Recipient ok");
    }

    public static RecipientOutcome refused(String address, String reply, String... rules) {
        return new RecipientOutcome(address, false, reply, List.of(rules));
    }

    /** Durations in the order the relay records them (Map.of would iterate in a random order). */
    private static Map<String, Long> orderedDurations() {
        Map<String, Long> d = new java.util.LinkedHashMap<>();
        d.put("session", 5L);
        d.put("relay", 2L);
        return d;
    }
}
