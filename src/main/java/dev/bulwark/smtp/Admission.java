package dev.bulwark.smtp;

import dev.bulwark.check.Limits;
import dev.bulwark.check.ReservedIds;
import dev.bulwark.flow.Replies;
import dev.bulwark.flow.Reply;
import dev.bulwark.flow.Resources;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's connection caps: connections in total, per client address (the policy's limits) and
 * per client subnet (the site's {@link Resources}). Thread-safe; every admitted connection is
 * released exactly once.
 */
final class Admission {

    /** Which cap refused, and with what. */
    record Refusal(Reply reply, String ruleId) {}

    private final Limits limits;
    private final Resources resources;
    private final AtomicInteger active = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> perSubnet = new ConcurrentHashMap<>();

    Admission(Limits limits, Resources resources) {
        this.limits = limits;
        this.resources = resources;
    }

    /** Counts a connection from {@code client} in, or says which cap refuses it. */
    Optional<Refusal> admit(InetAddress client) {
        if (active.incrementAndGet() > limits.maxConnections()) {
            active.decrementAndGet();
            return Optional.of(
                    new Refusal(Replies.TOO_MANY_CONNECTIONS, ReservedIds.MAX_CONNECTIONS));
        }
        int fromClient = perClient.merge(client, 1, Integer::sum);
        int fromSubnet = perSubnet.merge(resources.subnet(client), 1, Integer::sum);
        if (fromClient > limits.maxConnectionsPerClient()) {
            release(client);
            return Optional.of(
                    new Refusal(
                            Replies.TOO_MANY_CONNECTIONS_FROM_CLIENT,
                            ReservedIds.MAX_CONNECTIONS_PER_CLIENT));
        }
        if (fromSubnet > resources.maxSessionsPerSubnet()) {
            release(client);
            return Optional.of(
                    new Refusal(
                            Replies.TOO_MANY_CONNECTIONS_FROM_NETWORK,
                            ReservedIds.MAX_CONNECTIONS_PER_SUBNET));
        }
        return Optional.empty();
    }

    void release(InetAddress client) {
        active.decrementAndGet();
        perClient.computeIfPresent(client, (k, v) -> v <= 1 ? null : v - 1);
        perSubnet.computeIfPresent(resources.subnet(client), (k, v) -> v <= 1 ? null : v - 1);
    }

    int active() {
        return active.get();
    }
}
