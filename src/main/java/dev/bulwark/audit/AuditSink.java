package dev.bulwark.audit;

/**
 * Receives every audit record. Implementations are thread-safe and must not throw: a failing sink
 * never changes what a client is told.
 */
@FunctionalInterface
public interface AuditSink {

    void record(AuditRecord record);

    AuditSink NONE = record -> {};

    /** Sends each record to both sinks. */
    default AuditSink and(AuditSink other) {
        return record -> {
            record(record);
            other.record(record);
        };
    }
}
