package dev.bulwark.smtp;

import dev.bulwark.check.Limits;
import dev.bulwark.check.ReservedIds;
import dev.bulwark.flow.Replies;
import dev.bulwark.flow.Reply;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's connection caps: connections in total and per client address. Thread-safe; every
 * admitted connection is released exactly once.
 */
final class Admission {

    /** Which cap refused, and with what. */
    record Refusal(Reply reply, String ruleId) {}

    private final Limits limits;
    private final AtomicInteger active = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();

    Admission(Limits limits) {
        this.limits = limits;
    }

    /** Counts a connection from {@code client} in, or says which cap refuses it. */
    Optional<Refusal> admit(InetAddress client) {
        if (active.incrementAndGet() > limits.maxConnections()) {
            active.decrementAndGet();
            return Optional.of(
                    new Refusal(Replies.TOO_MANY_CONNECTIONS, ReservedIds.MAX_CONNECTIONS));
        }
        int fromClient = perClient.merge(client, 1, Integer::sum);
        if (fromClient > limits.maxConnectionsPerClient()) {
            release(client);
            return Optional.of(
                    new Refusal(
                            Replies.TOO_MANY_CONNECTIONS_FROM_CLIENT,
                            ReservedIds.MAX_CONNECTIONS_PER_CLIENT));
        }
        return Optional.empty();
    }

    void release(InetAddress client) {
        active.decrementAndGet();
        perClient.computeIfPresent(client, (k, v) -> v <= 1 ? null : v - 1);
    }

    int active() {
        return active.get();
    }
}
