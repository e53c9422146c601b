package dev.bulwark.policy;

import java.util.Objects;

/**
 * A value read from the policy: what it means, how it was written (messages quote that), and where.
 */
record Located<T>(T value, String text, Pos pos) {
    Located {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(pos, "pos");
    }

    /** A value whose text is its own string form. */
    static <T> Located<T> of(T value, Pos pos) {
        return new Located<>(value, String.valueOf(value), pos);
    }

    /** The same text and position, another meaning. */
    <U> Located<U> with(U other) {
        return new Located<>(other, text, pos);
    }
}
