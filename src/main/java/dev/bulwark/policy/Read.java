package dev.bulwark.policy;

import java.util.Objects;
import java.util.Optional;

/**
 * What the read pass made of a nested part: as much of it as could be read, and whether all of it
 * could. A partly read part is still checked, so that every problem in it is reported; only a
 * complete policy is lowered.
 */
record Read<T>(Optional<T> value, boolean complete) {
    Read {
        Objects.requireNonNull(value, "value");
    }

    static <T> Read<T> failed() {
        return new Read<>(Optional.empty(), false);
    }

    static <T> Read<T> of(T value, boolean complete) {
        return new Read<>(Optional.of(value), complete);
    }
}
