package dev.bulwark.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.LongAdder;

/** One limit ready for use: its bucket configuration, its local buckets and its counters. */
final class Limit {

    final LimitSpec spec;
    final BucketConfiguration configuration;

    /** The limit's buckets for a local limit; the fallback buckets for a fleet limit. */
    final LocalBuckets local;

    /** {@code prefix + id + ":" + fingerprint + ":"}; the bucket key follows. */
    final String redisKeyPrefix;

    final LongAdder refused = new LongAdder();
    final LongAdder shadowExceeded = new LongAdder();

    Limit(LimitSpec spec, int maxKeys, TimeMeter time, String redisPrefix) {
        this.spec = spec;
        // Greedy refill: capacity tokens per period, coming back continuously (one every
        // period/capacity), so an empty bucket is full again after exactly one period.
        this.configuration =
                BucketConfiguration.builder()
                        .addLimit(
                                Bandwidth.builder()
                                        .capacity(spec.capacity())
                                        .refillGreedy(spec.capacity(), spec.period())
                                        .build())
                        .build();
        this.local = new LocalBuckets(configuration, spec.period().toNanos(), maxKeys, time);
        this.redisKeyPrefix = redisPrefix + spec.id() + ":" + fingerprint(spec) + ":";
    }

    /** What one event costs under this limit; 0 means there is nothing to count. */
    long cost(Subject subject) {
        if (spec.cost() == LimitSpec.Cost.COUNT) {
            return 1;
        }
        if (subject.size().isEmpty()) {
            throw new IllegalArgumentException(
                    "limit '"
                            + spec.id()
                            + "' counts octets at stage "
                            + spec.stage().key()
                            + ", but the subject has no message size");
        }
        return subject.size().getAsLong();
    }

    String redisKey(String key) {
        return redisKeyPrefix + key;
    }

    /**
     * Eight hex digits over everything that shapes a bucket. A policy that changes a limit's
     * numbers gets new Redis keys, so during a rolling replacement old and new nodes each count
     * under their own definition instead of fighting over one stored configuration.
     */
    static String fingerprint(LimitSpec spec) {
        String shape =
                spec.stage()
                        + "|"
                        + spec.key()
                        + "|"
                        + (spec.key() == LimitSpec.Key.CLIENT_SUBNET
                                ? spec.ipv4Prefix() + "|" + spec.ipv6Prefix() + "|"
                                : "")
                        + spec.capacity()
                        + "|"
                        + spec.period().toNanos()
                        + "|"
                        + spec.cost();
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256")
                            .digest(shape.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
