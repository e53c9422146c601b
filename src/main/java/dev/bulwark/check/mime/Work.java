package dev.bulwark.check.mime;

/**
 * The characters and octets a decoder examined: a deterministic measure of its work, so that tests
 * can bound it by the input's length instead of timing it. Not thread-safe; one per parse.
 */
final class Work {
    private long steps;

    void add(long n) {
        steps += n;
    }

    long steps() {
        return steps;
    }
}
