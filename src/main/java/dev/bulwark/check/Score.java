package dev.bulwark.check;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * A policy score: what a rule adds, or a transaction's running total. It prints the way a policy
 * author writes scores ({@code 5}, {@code 2.5}, {@code -1.25}), rounded to three decimals, so sums
 * such as {@code 0.1 + 0.2} never show binary noise in a header, a report or the audit log.
 */
public record Score(double value) implements Comparable<Score> {

    public static final Score ZERO = new Score(0);

    public Score {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(value + " is not a valid score: it must be finite");
        }
    }

    public static Score of(double value) {
        return value == 0 ? ZERO : new Score(value);
    }

    public Score plus(Score other) {
        return of(value + other.value);
    }

    /** {@code true} when this score is at or above {@code threshold}. */
    public boolean reaches(double threshold) {
        return value >= threshold;
    }

    public boolean isZero() {
        return value == 0;
    }

    @Override
    public int compareTo(Score other) {
        return Double.compare(value, other.value);
    }

    /** As a policy writes it: {@code 5}, {@code 2.5}, {@code -1.25}. */
    @Override
    public String toString() {
        return format(value);
    }

    /** A number as a policy writes scores and thresholds. */
    public static String format(double value) {
        BigDecimal d =
                BigDecimal.valueOf(value).setScale(3, RoundingMode.HALF_EVEN).stripTrailingZeros();
        return d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
    }
}
