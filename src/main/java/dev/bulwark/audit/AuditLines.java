package dev.bulwark.audit;

/**
 * Where the audit chain's lines go: standard output (the journal in the image) and, when the site
 * names one, a file. Implementations are thread-safe and never throw: a destination that fails
 * never changes what a client is told.
 */
public interface AuditLines {

    /**
     * Writes one whole line, its line feed included. The chain calls this under its own lock, so
     * every destination receives the lines in chain order.
     */
    void line(byte[] line);

    /**
     * Closes and opens the destination again (after a log rotation renamed the file); a no-op for a
     * stream.
     */
    default void reopen() {}
}
