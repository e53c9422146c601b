package dev.bulwark.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.testing.ManualClock;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

class CachingResolverTest {

    private static final String ANSWERS =
            """
            a.example. 300 TXT "first"
            b.example. 30 TXT "second"
            c.example. 86400 TXT "long"
            gone.example. 60 NXDOMAIN
            slow.example. TXT TIMEOUT
            """;

    /** Counts the questions that reach the recorded answers behind the cache. */
    private static final class Counting implements DnsResolver {
        final DnsResolver inner;
        final AtomicInteger asked = new AtomicInteger();

        Counting(DnsResolver inner) {
            this.inner = inner;
        }

        @Override
        public CompletableFuture<DnsAnswer> lookup(String name, RecordType type) {
            asked.incrementAndGet();
            return inner.lookup(name, type);
        }
    }

    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));

    private Counting behind() throws Exception {
        return new Counting(RecordedResolver.parse("answers", ANSWERS));
    }

    @Test
    void keepsAnAnswerForItsTtl() throws Exception {
        Counting behind = behind();
        CachingResolver cache = new CachingResolver(behind, clock, 100, Duration.ofHours(1));
        cache.lookup("a.example", RecordType.TXT).join();
        cache.lookup("A.EXAMPLE.", RecordType.TXT).join();
        assertThat(behind.asked).hasValue(1);
        clock.advance(Duration.ofSeconds(299));
        cache.lookup("a.example", RecordType.TXT).join();
        assertThat(behind.asked).hasValue(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(cache.lookup("a.example", RecordType.TXT).join().texts())
                .containsExactly("first");
        assertThat(behind.asked).hasValue(2);
        assertThat(cache.hits()).isEqualTo(2);
        assertThat(cache.misses()).isEqualTo(2);
    }

    @Test
    void capsLongTtls() throws Exception {
        Counting behind = behind();
        CachingResolver cache = new CachingResolver(behind, clock, 100, Duration.ofMinutes(10));
        cache.lookup("c.example", RecordType.TXT).join();
        clock.advance(Duration.ofMinutes(10));
        cache.lookup("c.example", RecordType.TXT).join();
        assertThat(behind.asked).hasValue(2);
    }

    @Test
    void keepsNegativeAnswersForTheirNegativeTtl() throws Exception {
        Counting behind = behind();
        CachingResolver cache = new CachingResolver(behind, clock, 100, Duration.ofHours(1));
        assertThat(cache.lookup("gone.example", RecordType.A).join().status())
                .isEqualTo(DnsAnswer.Status.NXDOMAIN);
        clock.advance(Duration.ofSeconds(59));
        cache.lookup("gone.example", RecordType.A).join();
        assertThat(behind.asked).hasValue(1);
        clock.advance(Duration.ofSeconds(1));
        cache.lookup("gone.example", RecordType.A).join();
        assertThat(behind.asked).hasValue(2);
    }

    @Test
    void neverKeepsATimeout() throws Exception {
        Counting behind = behind();
        CachingResolver cache = new CachingResolver(behind, clock, 100, Duration.ofHours(1));
        cache.lookup("slow.example", RecordType.TXT).join();
        cache.lookup("slow.example", RecordType.TXT).join();
        assertThat(behind.asked).hasValue(2);
        assertThat(cache.size()).isZero();
    }

    @Test
    void dropsTheEntryUsedLongestAgoWhenFull() throws Exception {
        Counting behind = behind();
        CachingResolver cache = new CachingResolver(behind, clock, 2, Duration.ofHours(1));
        cache.lookup("a.example", RecordType.TXT).join();
        cache.lookup("b.example", RecordType.TXT).join();
        cache.lookup("a.example", RecordType.TXT).join(); // a is now the most recent
        cache.lookup("c.example", RecordType.TXT).join(); // evicts b
        assertThat(cache.size()).isEqualTo(2);
        cache.lookup("a.example", RecordType.TXT).join();
        assertThat(behind.asked).hasValue(3);
        cache.lookup("b.example", RecordType.TXT).join();
        assertThat(behind.asked).hasValue(4);
    }

    @Test
    void sharesOneQueryBetweenConcurrentLookups() {
        CompletableFuture<DnsAnswer> pending = new CompletableFuture<>();
        AtomicInteger asked = new AtomicInteger();
        DnsResolver slow =
                (name, type) -> {
                    asked.incrementAndGet();
                    return pending;
                };
        CachingResolver cache = new CachingResolver(slow, clock, 10, Duration.ofHours(1));
        CompletableFuture<DnsAnswer> first = cache.lookup("a.example", RecordType.TXT);
        CompletableFuture<DnsAnswer> second = cache.lookup("a.example", RecordType.TXT);
        assertThat(asked).hasValue(1);
        pending.complete(
                DnsAnswer.ok(
                        java.util.List.of(DnsRecord.of(RecordType.TXT, "x")),
                        Duration.ofSeconds(5)));
        assertThat(first.join().texts()).containsExactly("x");
        assertThat(second.join().texts()).containsExactly("x");
    }
}
