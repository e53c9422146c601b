package dev.bulwark.dns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Passes questions to a live resolver and remembers every answer, so that {@link #render()} writes
 * them in the format {@link RecordedResolver} reads: record a test case's DNS once, replay it in
 * the gate forever.
 */
public final class RecordingResolver implements DnsResolver {

    private record Key(String name, RecordType type) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = name.compareTo(o.name);
            return c != 0 ? c : type.compareTo(o.type);
        }
    }

    private final DnsResolver live;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Key, DnsAnswer> seen = new TreeMap<>();

    public RecordingResolver(DnsResolver live) {
        this.live = live;
    }

    @Override
    public CompletableFuture<DnsAnswer> lookup(String name, RecordType type) {
        Key key = new Key(DnsResolver.normalize(name), type);
        return live.lookup(name, type)
                .thenApply(
                        answer -> {
                            lock.lock();
                            try {
                                seen.put(key, answer);
                            } finally {
                                lock.unlock();
                            }
                            return answer;
                        });
    }

    /** Every answer seen so far, one line each, sorted by name and type. */
    public String render() {
        StringBuilder out = new StringBuilder();
        TreeSet<String> nxdomains = new TreeSet<>();
        lock.lock();
        try {
            for (Map.Entry<Key, DnsAnswer> e : seen.entrySet()) {
                String name = e.getKey().name + ".";
                DnsAnswer a = e.getValue();
                long ttl = a.ttl().toSeconds();
                switch (a.status()) {
                    case OK -> {
                        for (DnsRecord r : a.records()) {
                            out.append(name)
                                    .append(' ')
                                    .append(ttl)
                                    .append(' ')
                                    .append(r.type())
                                    .append(' ')
                                    .append(data(r))
                                    .append('\n');
                        }
                    }
                    case NXDOMAIN -> {
                        if (nxdomains.add(name)) {
                            out.append(name).append(' ').append(ttl).append(" NXDOMAIN\n");
                        }
                    }
                    case NODATA ->
                            out.append(name)
                                    .append(' ')
                                    .append(ttl)
                                    .append(' ')
                                    .append(e.getKey().type)
                                    .append(" NODATA\n");
                    case TIMEOUT, SERVFAIL ->
                            out.append(name)
                                    .append(' ')
                                    .append(e.getKey().type)
                                    .append(' ')
                                    .append(a.status())
                                    .append('\n');
                }
            }
        } finally {
            lock.unlock();
        }
        return out.toString();
    }

    /** Writes {@link #render()} to a file. */
    public void write(Path file) throws IOException {
        Files.writeString(file, render(), StandardCharsets.UTF_8);
    }

    private static String data(DnsRecord r) {
        return switch (r.type()) {
            case A, AAAA -> r.value();
            case MX -> r.preference() + " " + r.value() + ".";
            case PTR -> r.value() + ".";
            case TXT -> RecordedResolver.quote(r.value());
        };
    }
}
