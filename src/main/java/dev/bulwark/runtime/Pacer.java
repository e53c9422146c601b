package dev.bulwark.runtime;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Holds hashing to a rate, so that checking the runtime while mail is served takes a bounded share
 * of the CPU and the disk: {@link #read} is told of every buffer hashed and parks the thread when
 * it runs ahead of the rate.
 */
@FunctionalInterface
interface Pacer {

    /** {@code bytes} more were hashed; may park the calling thread. */
    void read(long bytes);

    /** No pacing (the check at start, tests). */
    Pacer NONE = bytes -> {};

    /**
     * At most {@code bytesPerSecond} on average, measured by {@code nanoTime}; a new pacer per
     * pass, since the time it starts from is its creation.
     */
    static Pacer of(long bytesPerSecond, LongSupplier nanoTime) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException(
                    bytesPerSecond + " is not a valid hashing rate: it must be positive");
        }
        long start = nanoTime.getAsLong();
        long[] total = {0};
        return bytes -> {
            total[0] += bytes;
            long due = start + (long) (total[0] * 1e9 / bytesPerSecond);
            for (long ahead; (ahead = due - nanoTime.getAsLong()) > 0; ) {
                LockSupport.parkNanos(ahead);
            }
        };
    }
}
