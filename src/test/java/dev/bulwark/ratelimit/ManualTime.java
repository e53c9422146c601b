package dev.bulwark.ratelimit;

import io.github.bucket4j.TimeMeter;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** A wall clock that moves only when a test says so. */
final class ManualTime implements TimeMeter {

    private final AtomicLong nanos;

    ManualTime() {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    ManualTime(Instant start) {
        this.nanos = new AtomicLong(start.getEpochSecond() * 1_000_000_000L + start.getNano());
    }

    void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Override
    public long currentTimeNanos() {
        return nanos.get();
    }

    @Override
    public boolean isWallClockBased() {
        return true;
    }
}
