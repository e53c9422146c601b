package dev.bulwark.dns;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded cache in front of another resolver. Answers are kept as long as their TTL says (at most
 * {@code maxTtl}); NXDOMAIN and NODATA answers too, for their SOA's negative TTL (RFC 2308), so a
 * flood of mail from one forged domain asks DNS once. Timeouts and server failures are never kept:
 * the next message asks again. Concurrent lookups of one name and type share one query. When full,
 * the entry used longest ago goes.
 */
public final class CachingResolver implements DnsResolver {

    private record Key(String name, RecordType type) {}

    /** An answer (with its expiry) or a query in flight (answer null). */
    private record Cached(CompletableFuture<DnsAnswer> future, Instant expires) {}

    private final DnsResolver delegate;
    private final Clock clock;
    private final int maxEntries;
    private final Duration maxTtl;
    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedHashMap<Key, Cached> entries;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    public CachingResolver(DnsResolver delegate, Clock clock, int maxEntries, Duration maxTtl) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException(maxEntries + " is not a valid cache size");
        }
        this.delegate = delegate;
        this.clock = clock;
        this.maxEntries = maxEntries;
        this.maxTtl = maxTtl;
        this.entries =
                new LinkedHashMap<>(16, 0.75f, true) {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<Key, Cached> eldest) {
                        return size() > CachingResolver.this.maxEntries;
                    }
                };
    }

    /** The live resolver the settings describe, behind a cache of their size. */
    public static CachingResolver of(DnsSettings settings, Clock clock) {
        return new CachingResolver(
                DnsClient.of(settings), clock, settings.cacheEntries(), settings.maxTtl());
    }

    @Override
    public CompletableFuture<DnsAnswer> lookup(String name, RecordType type) {
        Key key = new Key(DnsResolver.normalize(name), type);
        CompletableFuture<DnsAnswer> mine;
        lock.lock();
        try {
            Cached e = entries.get(key);
            if (e != null && (e.expires == null || clock.instant().isBefore(e.expires))) {
                hits.increment();
                return e.future;
            }
            misses.increment();
            mine = new CompletableFuture<>();
            if (maxEntries > 0) {
                entries.put(key, new Cached(mine, null));
            }
        } finally {
            lock.unlock();
        }
        delegate.lookup(key.name, type)
                .whenComplete(
                        (answer, error) -> {
                            DnsAnswer a =
                                    error != null
                                            ? DnsAnswer.servfail("resolver failed: " + error)
                                            : answer;
                            store(key, mine, a);
                            mine.complete(a);
                        });
        return mine;
    }

    private void store(Key key, CompletableFuture<DnsAnswer> future, DnsAnswer answer) {
        lock.lock();
        try {
            Cached current = entries.get(key);
            if (current == null || current.future != future) {
                return; // evicted meanwhile, or replaced
            }
            Duration ttl = answer.ttl().compareTo(maxTtl) > 0 ? maxTtl : answer.ttl();
            if (answer.isTemporaryFailure() || ttl.isZero() || ttl.isNegative()) {
                entries.remove(key);
            } else {
                entries.put(key, new Cached(future, clock.instant().plus(ttl)));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Lookups answered from the cache (or joined to a query in flight). */
    public long hits() {
        return hits.sum();
    }

    /** Lookups that asked the resolver behind. */
    public long misses() {
        return misses.sum();
    }

    /** Entries held now, including queries in flight and expired answers not yet replaced. */
    public int size() {
        lock.lock();
        try {
            return entries.size();
        } finally {
            lock.unlock();
        }
    }
}
