package dev.bulwark.ratelimit;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LocalBucketBuilder;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-process buckets of one limit, by key, in a bounded map.
 *
 * <p>The map is ordered by last use (LRU), so the entries idle longest sit at its head. An entry
 * idle for at least the time a bucket needs to refill from empty to full is dropped: a new bucket
 * starts full, so dropping it loses nothing. When the map is full of entries that are still
 * refilling, the least recently used one is dropped early; that forgets some consumption (its key
 * gets a fresh bucket) and is counted in {@link #evictedEarly()} so an operator sees the bound is
 * too small for the traffic.
 *
 * <p>The lock guards only the map (no I/O, no bucket arithmetic): bucket4j's local buckets are
 * themselves thread-safe and are used outside the lock.
 */
final class LocalBuckets {

    private final BucketConfiguration configuration;
    private final long idleNanos;
    private final int maxKeys;
    private final TimeMeter time;
    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedHashMap<String, Entry> entries;
    private final LongAdder evictedEarly = new LongAdder();

    private static final class Entry {
        final Bucket bucket;
        long lastUsedNanos;

        Entry(Bucket bucket, long lastUsedNanos) {
            this.bucket = bucket;
            this.lastUsedNanos = lastUsedNanos;
        }
    }

    /**
     * @param configuration the bucket configuration of the limit
     * @param idleNanos how long an unused bucket takes to be full again
     * @param maxKeys most buckets kept at once
     * @param time the clock shared with the buckets
     */
    LocalBuckets(BucketConfiguration configuration, long idleNanos, int maxKeys, TimeMeter time) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException(
                    maxKeys + " is not a valid number of local keys: it must be positive");
        }
        this.configuration = configuration;
        this.idleNanos = idleNanos;
        this.maxKeys = maxKeys;
        this.time = time;
        this.entries = new LinkedHashMap<>(Math.min(maxKeys, 1024), 0.75f, true);
    }

    /** The bucket for {@code key}, created full if there is none; marks it as used now. */
    Bucket bucket(String key) {
        long now = time.currentTimeNanos();
        lock.lock();
        try {
            evictIdle(now);
            Entry entry = entries.get(key);
            if (entry != null) {
                entry.lastUsedNanos = now;
                return entry.bucket;
            }
            if (entries.size() >= maxKeys) {
                Iterator<Entry> eldest = entries.values().iterator();
                eldest.next();
                eldest.remove();
                evictedEarly.increment();
            }
            entry = new Entry(newBucket(), now);
            entries.put(key, entry);
            return entry.bucket;
        } finally {
            lock.unlock();
        }
    }

    private Bucket newBucket() {
        LocalBucketBuilder builder = Bucket.builder().withCustomTimePrecision(time);
        for (var bandwidth : configuration.getBandwidths()) {
            builder.addLimit(bandwidth);
        }
        return builder.build();
    }

    /** Drops entries from the head (least recently used) while they are idle long enough. */
    private void evictIdle(long now) {
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while (it.hasNext()) {
            Entry eldest = it.next().getValue();
            if (now - eldest.lastUsedNanos < idleNanos) {
                return;
            }
            it.remove();
        }
    }

    /** Buckets held now (after dropping the idle ones). */
    int size() {
        lock.lock();
        try {
            evictIdle(time.currentTimeNanos());
            return entries.size();
        } finally {
            lock.unlock();
        }
    }

    /** Buckets dropped before they were full again, because the map was at its bound. */
    long evictedEarly() {
        return evictedEarly.sum();
    }

    int maxKeys() {
        return maxKeys;
    }
}
