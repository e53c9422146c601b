package dev.bulwark.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.testing.PrometheusText;
import dev.bulwark.testing.RedisServer;

import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.Optional;

/**
 * Regression: {@code bulwark_rate_limit_backend_up} read NaN on a running node once the garbage
 * collector had run, because Micrometer holds a gauge's state object only weakly and nothing else
 * held the node's backend probe. A node is scraped, garbage is collected until a weak reference the
 * test holds is cleared, and the node is scraped again: no sample may be NaN, and the backend gauge
 * must say what the backend is doing.
 */
class MetricsAfterGarbageCollectionIT {

    /**
     * Runs the collector until a weakly held object of our own has been cleared and enqueued: by
     * then every object that was only weakly reachable (such as a gauge's lost state) is gone too.
     */
    static void collectGarbage() throws InterruptedException {
        ReferenceQueue<Object> cleared = new ReferenceQueue<>();
        WeakReference<Object> canary = new WeakReference<>(new Object(), cleared);
        Reference<?> enqueued = null;
        for (int attempt = 0; attempt < 100 && enqueued == null; attempt++) {
            System.gc();
            enqueued = cleared.remove(100);
        }
        assertThat(enqueued).as("the canary was collected").isSameAs(canary);
    }

    private static void assertNoNaN(PrometheusText scrape) {
        assertThat(scrape.samples()).isNotEmpty();
        assertThat(scrape.samples())
                .as("samples that read NaN")
                .filteredOn(s -> Double.isNaN(s.value()))
                .isEmpty();
    }

    private static PrometheusText scrapeAfterGarbageCollection(TrafficNode node)
            throws InterruptedException {
        assertNoNaN(node.scrape());
        collectGarbage();
        PrometheusText after = node.scrape();
        assertNoNaN(after);
        return after;
    }

    @Test
    void noSampleIsNaNAfterGarbageCollectionWithoutRedis() throws Exception {
        try (TrafficNode node = TrafficNode.start(Optional.empty())) {
            node.sendEveryKindOfTraffic();

            PrometheusText after = scrapeAfterGarbageCollection(node);

            assertThat(after.value("bulwark_rate_limit_backend_up")).contains(1.0);
            assertThat(after.value("bulwark_connections_active")).isPresent();
        }
    }

    @Test
    void noSampleIsNaNAfterGarbageCollectionWithRedis() throws Exception {
        try (RedisServer redis = RedisServer.start();
                TrafficNode node = TrafficNode.start(Optional.of(redis.uri()))) {
            node.sendEveryKindOfTraffic();

            PrometheusText after = scrapeAfterGarbageCollection(node);

            assertThat(after.value("bulwark_rate_limit_backend_up")).contains(1.0);
        }
    }

    @Test
    void backendUpReadsZeroDuringARedisOutageAfterGarbageCollection() throws Exception {
        try (RedisServer redis = RedisServer.start();
                TrafficNode node = TrafficNode.start(Optional.of(redis.uri()))) {
            node.deliver();
            redis.stop();
            // The next fleet-wide check finds Redis gone and falls back to local buckets.
            node.deliver();

            PrometheusText after = scrapeAfterGarbageCollection(node);

            assertThat(after.value("bulwark_rate_limit_backend_up")).contains(0.0);
        }
    }
}
