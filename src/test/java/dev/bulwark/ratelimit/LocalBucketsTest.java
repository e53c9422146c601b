package dev.bulwark.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;

import org.junit.jupiter.api.Test;

import java.time.Duration;

class LocalBucketsTest {

    private final ManualTime time = new ManualTime();
    private final BucketConfiguration fivePerMinute =
            BucketConfiguration.builder()
                    .addLimit(
                            Bandwidth.builder()
                                    .capacity(5)
                                    .refillGreedy(5, Duration.ofMinutes(1))
                                    .build())
                    .build();

    private LocalBuckets buckets(int maxKeys) {
        return new LocalBuckets(fivePerMinute, Duration.ofMinutes(1).toNanos(), maxKeys, time);
    }

    @Test
    void tenThousandDistinctKeysNeverHoldMoreThanTheBound() {
        LocalBuckets buckets = buckets(1_000);
        for (int i = 0; i < 10_000; i++) {
            assertThat(buckets.bucket("198.51." + (i / 256) + "." + (i % 256)).tryConsume(1))
                    .isTrue();
            assertThat(buckets.size()).isLessThanOrEqualTo(1_000);
        }
        assertThat(buckets.size()).isEqualTo(1_000);
        assertThat(buckets.evictedEarly()).isEqualTo(9_000);
    }

    @Test
    void bucketsIdleForAFullRefillAreDroppedWithoutCountingAsEarly() {
        LocalBuckets buckets = buckets(100);
        for (int i = 0; i < 50; i++) {
            buckets.bucket("k" + i).tryConsume(5);
        }
        time.advance(Duration.ofSeconds(59));
        buckets.bucket("k0");
        assertThat(buckets.size()).isEqualTo(50);

        time.advance(Duration.ofSeconds(1));
        assertThat(buckets.size()).isEqualTo(1); // only k0, used a second ago
        assertThat(buckets.evictedEarly()).isZero();
    }

    @Test
    void anEvictedIdleBucketComesBackFullAsItWouldHaveBeen() {
        LocalBuckets buckets = buckets(100);
        assertThat(buckets.bucket("a").tryConsume(5)).isTrue();
        assertThat(buckets.bucket("a").tryConsume(1)).isFalse();
        time.advance(Duration.ofMinutes(1));
        assertThat(buckets.bucket("a").getAvailableTokens()).isEqualTo(5);
    }

    @Test
    void atTheBoundTheLeastRecentlyUsedBucketGoesFirst() {
        LocalBuckets buckets = buckets(2);
        buckets.bucket("a").tryConsume(5);
        buckets.bucket("b").tryConsume(5);
        buckets.bucket("a"); // a is now the most recently used
        buckets.bucket("c");

        assertThat(buckets.bucket("a").tryConsume(1)).as("a kept its empty bucket").isFalse();
        assertThat(buckets.evictedEarly()).isEqualTo(1);
        assertThat(buckets.bucket("b").tryConsume(5)).as("b was dropped and starts full").isTrue();
    }
}
