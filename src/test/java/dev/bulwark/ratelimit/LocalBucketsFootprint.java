package dev.bulwark.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * Prints the heap one local bucket entry takes (key, map entry, bucket4j bucket), to size {@code
 * maxKeysPerLimit}. Run: {@code java -cp target/classes:target/test-classes:$(deps)
 * dev.bulwark.ratelimit.LocalBucketsFootprint}.
 */
public final class LocalBucketsFootprint {

    private LocalBucketsFootprint() {}

    public static void main(String[] args) {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        BucketConfiguration config =
                BucketConfiguration.builder()
                        .addLimit(
                                Bandwidth.builder()
                                        .capacity(100)
                                        .refillGreedy(100, Duration.ofHours(1))
                                        .build())
                        .build();
        long before = usedAfterGc();
        LocalBuckets buckets =
                new LocalBuckets(
                        config, Duration.ofHours(1).toNanos(), keys, TimeMeter.SYSTEM_MILLISECONDS);
        for (int i = 0; i < keys; i++) {
            buckets.bucket("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255))
                    .tryConsume(1);
        }
        long after = usedAfterGc();
        System.out.printf(
                "%d keys: %.1f MiB, %d bytes per key (IPv4 text keys)%n",
                buckets.size(), (after - before) / 1048576.0, (after - before) / keys);
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
