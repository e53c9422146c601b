package dev.bulwark.audit;

import java.util.Locale;

/**
 * What became of a transaction or a connection, as the audit log and the metrics name it. A policy
 * test case's expectation ({@code deliver}, {@code accept}, ...) is a different, finer vocabulary:
 * an allowlisted and a plainly delivered message are both {@link #ACCEPT} here.
 */
public enum AuditVerdict {
    /** Relayed; the next hop said 2xx. */
    ACCEPT,
    /** Relayed with the policy's tag (headers, subject prefix); the next hop said 2xx. */
    TAG,
    /** Relayed to the quarantine mailbox instead of the recipients; the next hop said 2xx. */
    QUARANTINE,
    /** We said 250 and delivered nothing. */
    DISCARD,
    /**
     * 5xx: a rule, a protocol violation, the next hop's 5xx, or every recipient refused; for a
     * refused greeting, the 5xx to HELO.
     */
    REJECT,
    /** 4xx: a rule or limit, or the next hop's 4xx or absence. */
    DEFER,
    /** 451 4.3.0 after a failing check, or a timeout. */
    TEMPFAIL,
    /** The client left or reset before the end of DATA. */
    ABORTED,
    /** A connection refused with 5xx before the banner (with 421 the verdict is {@link #DEFER}). */
    REFUSED;

    /** The lower-case name in the audit log and the metrics. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return key();
    }
}
