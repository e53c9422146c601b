package dev.bulwark.check;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How a node keeps checking its own runtime while it serves, set by the policy's {@code integrity:}
 * section (ADR 0018).
 *
 * @param interval time between two passes over the runtime's files
 * @param onMismatch what the node does once a pass finds a file that differs from the manifest
 */
public record IntegritySettings(Duration interval, OnMismatch onMismatch) {

    /** The shortest interval: a pass takes about two seconds of paced hashing. */
    public static final Duration MIN_INTERVAL = Duration.ofSeconds(10);

    /** The longest interval. */
    public static final Duration MAX_INTERVAL = Duration.ofHours(24);

    /** Every five minutes; a mismatch stops mail. */
    public static final IntegritySettings DEFAULTS =
            new IntegritySettings(Duration.ofMinutes(5), OnMismatch.REFUSE_MAIL);

    public IntegritySettings {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(onMismatch, "onMismatch");
        if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0) {
            throw new IllegalArgumentException(
                    interval
                            + " is not a valid integrity interval: it must be between 10s and 24h");
        }
    }

    /** What a mismatch does besides failing {@code /readyz}, the metric and the audit record. */
    public enum OnMismatch {
        /** New SMTP sessions get 421 4.3.0 until the node is replaced or restarted. */
        REFUSE_MAIL,
        /** Mail flows on; only readiness, the metric and the audit trail say so. */
        REPORT;

        /** The policy's spelling: {@code refuse-mail}, {@code report}. */
        public String key() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }
}
