package dev.bulwark.dns;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks DNS servers over the network (dnsjava's non-blocking {@link SimpleResolver}: UDP, TCP when a
 * reply is truncated). The servers are recursive resolvers (the site's, or the system's from {@code
 * /etc/resolv.conf}); in tests an authoritative server on loopback.
 *
 * <p>Each query has one time budget ({@code timeout}), split evenly over its attempts: the servers
 * in turn, and at least two attempts so that one lost UDP datagram is retried. A server that
 * answers SERVFAIL or REFUSED, or cannot be reached, passes the question to the next attempt; only
 * the last attempt's failure is the answer. CNAME chains are followed (8 links at most).
 */
public final class DnsClient implements DnsResolver {

    private static final int MAX_CNAME_LINKS = 8;

    /** Negative answers without an SOA in the authority section are kept this long at most. */
    private static final Duration DEFAULT_NEGATIVE_TTL = Duration.ofSeconds(60);

    /** Where replies are handled: never dnsjava's own selector thread. */
    private static final ExecutorService VIRTUAL = Executors.newVirtualThreadPerTaskExecutor();

    private final List<SimpleResolver> attempts;
    private final Duration timeout;
    private final Executor executor;

    /**
     * @param servers where to send queries, tried in order
     * @param timeout the whole budget of one {@link #lookup}, all attempts included
     */
    public DnsClient(List<InetSocketAddress> servers, Duration timeout) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no DNS server given");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(
                    timeout + " is not a valid DNS timeout: must be positive");
        }
        this.timeout = timeout;
        int count = Math.max(2, servers.size());
        Duration each = timeout.dividedBy(count);
        List<SimpleResolver> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SimpleResolver r = new SimpleResolver(servers.get(i % servers.size()));
            r.setTimeout(each);
            list.add(r);
        }
        this.attempts = List.copyOf(list);
        // Reply handling is short CPU work; dnsjava completes futures on its selector thread
        // otherwise, which must never run our continuations.
        this.executor = VIRTUAL;
    }

    public static DnsClient of(DnsSettings settings) {
        return new DnsClient(settings.servers(), settings.timeout());
    }

    public Duration timeout() {
        return timeout;
    }

    @Override
    public CompletableFuture<DnsAnswer> lookup(String name, RecordType type) {
        Name qname;
        try {
            qname = Name.fromString(DnsResolver.normalize(name) + ".");
        } catch (TextParseException e) {
            // Not a name DNS can carry (a label over 63 octets, an empty label): nothing exists
            // there.
            return CompletableFuture.completedFuture(
                    new DnsAnswer(
                            DnsAnswer.Status.NXDOMAIN,
                            List.of(),
                            Duration.ZERO,
                            "not a valid domain name: " + e.getMessage()));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        return resolve(qname, type, 0, deadline, Long.MAX_VALUE)
                .completeOnTimeout(
                        DnsAnswer.timeout("no answer within " + timeout.toMillis() + " ms"),
                        timeout.toMillis() + 50,
                        TimeUnit.MILLISECONDS);
    }

    private CompletableFuture<DnsAnswer> resolve(
            Name qname, RecordType type, int links, long deadline, long ttlSoFar) {
        return ask(qname, type, 0)
                .thenCompose(
                        reply -> {
                            if (reply.answer != null) {
                                return CompletableFuture.completedFuture(reply.answer);
                            }
                            Chased c = chase(reply.message, qname, type);
                            long ttl = Math.min(ttlSoFar, c.ttl);
                            if (!c.records.isEmpty()) {
                                return CompletableFuture.completedFuture(
                                        DnsAnswer.ok(c.records, Duration.ofSeconds(ttl)));
                            }
                            if (c.danglingTarget != null
                                    && links + c.links < MAX_CNAME_LINKS
                                    && System.nanoTime() < deadline) {
                                // An authoritative server answers a CNAME into another zone with
                                // the CNAME alone; ask again for its target.
                                return resolve(
                                        c.danglingTarget, type, links + c.links, deadline, ttl);
                            }
                            Duration negative = negativeTtl(reply.message);
                            return CompletableFuture.completedFuture(
                                    reply.message.getRcode() == Rcode.NXDOMAIN
                                            ? DnsAnswer.nxdomain(negative)
                                            : DnsAnswer.nodata(negative));
                        });
    }

    /** A server's reply, or the failure that ended the last attempt. */
    private record Reply(Message message, DnsAnswer answer) {}

    private CompletableFuture<Reply> ask(Name qname, RecordType type, int attempt) {
        SimpleResolver server = attempts.get(attempt);
        Message query = Message.newQuery(Record.newRecord(qname, type.code(), DClass.IN));
        boolean last = attempt == attempts.size() - 1;
        return server.sendAsync(query, executor)
                .toCompletableFuture()
                .handle(
                        (message, error) -> {
                            if (error != null) {
                                Throwable cause = unwrap(error);
                                String where = " from " + server.getAddress();
                                return new Reply(
                                        null,
                                        isTimeout(cause)
                                                ? DnsAnswer.timeout("no answer" + where)
                                                : DnsAnswer.servfail(describe(cause) + where));
                            }
                            int rcode = message.getRcode();
                            if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) {
                                return new Reply(message, null);
                            }
                            return new Reply(
                                    null,
                                    DnsAnswer.servfail(
                                            Rcode.string(rcode) + " from " + server.getAddress()));
                        })
                .thenCompose(
                        reply ->
                                reply.answer != null && !last
                                        ? ask(qname, type, attempt + 1)
                                        : CompletableFuture.completedFuture(reply));
    }

    /**
     * dnsjava reports an unanswered query as SocketTimeoutException, futures as TimeoutException.
     */
    private static boolean isTimeout(Throwable t) {
        return t instanceof TimeoutException || t instanceof java.io.InterruptedIOException;
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException
                        || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        String kind = t instanceof IOException ? "network error" : t.getClass().getSimpleName();
        return m == null ? kind : kind + ": " + m;
    }

    /** The records of the asked type reached from qname through the answer's CNAMEs. */
    private record Chased(List<DnsRecord> records, long ttl, Name danglingTarget, int links) {}

    private static Chased chase(Message message, Name qname, RecordType type) {
        List<Record> answer = message.getSection(Section.ANSWER);
        Name current = qname;
        long ttl = Long.MAX_VALUE;
        for (int links = 0; links <= MAX_CNAME_LINKS; links++) {
            List<DnsRecord> found = new ArrayList<>();
            CNAMERecord cname = null;
            for (Record r : answer) {
                if (!r.getName().equals(current)) {
                    continue;
                }
                if (r.getType() == type.code()) {
                    found.add(convert(r, type));
                    ttl = Math.min(ttl, r.getTTL());
                } else if (r instanceof CNAMERecord c) {
                    cname = c;
                }
            }
            if (!found.isEmpty()) {
                return new Chased(found, ttl, null, links);
            }
            if (cname == null) {
                return new Chased(List.of(), ttl, links == 0 ? null : current, links);
            }
            ttl = Math.min(ttl, cname.getTTL());
            current = cname.getTarget();
        }
        return new Chased(List.of(), ttl, null, MAX_CNAME_LINKS);
    }

    private static DnsRecord convert(Record r, RecordType type) {
        return switch (r) {
            case ARecord a -> DnsRecord.of(type, a.getAddress().getHostAddress());
            case AAAARecord a -> DnsRecord.of(type, a.getAddress().getHostAddress());
            case MXRecord mx -> new DnsRecord(type, host(mx.getTarget()), mx.getPriority());
            case PTRRecord ptr -> DnsRecord.of(type, host(ptr.getTarget()));
            case TXTRecord txt -> {
                // Raw octets, joined: getStrings() would escape them for presentation.
                StringBuilder sb = new StringBuilder();
                for (byte[] s : txt.getStringsAsByteArrays()) {
                    sb.append(new String(s, StandardCharsets.UTF_8));
                }
                yield DnsRecord.of(type, sb.toString());
            }
            default -> throw new IllegalStateException("unexpected " + Type.string(r.getType()));
        };
    }

    private static String host(Name name) {
        return DnsResolver.normalize(name.toString(true)).toLowerCase(Locale.ROOT);
    }

    /** RFC 2308 section 5: the smaller of the SOA record's TTL and its MINIMUM field. */
    private static Duration negativeTtl(Message message) {
        for (Record r : message.getSection(Section.AUTHORITY)) {
            if (r instanceof SOARecord soa) {
                return Duration.ofSeconds(Math.min(soa.getTTL(), soa.getMinimum()));
            }
        }
        return DEFAULT_NEGATIVE_TTL;
    }

    @Override
    public String toString() {
        return "DnsClient" + attempts.stream().map(SimpleResolver::getAddress).distinct().toList();
    }
}
