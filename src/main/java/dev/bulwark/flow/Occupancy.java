package dev.bulwark.flow;

import dev.bulwark.check.ReservedIds;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the node's open transactions hold now, against its {@link Resources}: transactions per
 * client address and per subnet (each holds a next-hop connection) and message octets in flight.
 * Thread-safe and lock-free; every claim is released exactly once, however its transaction ends.
 */
final class Occupancy {

    /** Which cap refused a transaction, and with what. */
    record Refusal(Reply reply, String ruleId) {}

    private final Resources resources;
    private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> perSubnet = new ConcurrentHashMap<>();
    private final AtomicLong inFlight = new AtomicLong();

    Occupancy(Resources resources) {
        this.resources = resources;
    }

    /**
     * A transaction's share: its place in the client's and the subnet's counts and the octets it
     * may hold. Octets grow as the message arrives ({@link #grow}); {@link #release} gives all
     * back.
     */
    final class Claim {
        private final InetAddress client;
        private final String subnet;
        private final AtomicBoolean released = new AtomicBoolean();
        private final AtomicLong bytes = new AtomicLong();

        private Claim(InetAddress client, String subnet) {
            this.client = client;
            this.subnet = subnet;
        }

        /** Octets this transaction may hold now. */
        long bytes() {
            return bytes.get();
        }

        /** Takes {@code more} octets from the node's budget, if it has them. */
        boolean grow(long more) {
            if (released.get() || !reserve(more)) {
                return false;
            }
            bytes.addAndGet(more);
            return true;
        }

        /** Gives everything back, once. */
        void release() {
            if (released.compareAndSet(false, true)) {
                inFlight.addAndGet(-bytes.getAndSet(0));
                leave(perClient, client);
                leave(perSubnet, subnet);
            }
        }
    }

    /**
     * Opens a transaction for {@code client} that declared {@code declared} octets (0 if it did
     * not): its address's and subnet's caps, then the node's octets.
     */
    Result enter(InetAddress client, long declared) {
        String subnet = resources.subnet(client);
        if (perClient.merge(client, 1, Integer::sum) > resources.maxTransactionsPerClient()) {
            leave(perClient, client);
            return new Result(
                    null,
                    new Refusal(
                            Replies.TOO_MANY_TRANSACTIONS_FROM_CLIENT,
                            ReservedIds.MAX_TRANSACTIONS_PER_CLIENT));
        }
        if (perSubnet.merge(subnet, 1, Integer::sum) > resources.maxTransactionsPerSubnet()) {
            leave(perSubnet, subnet);
            leave(perClient, client);
            return new Result(
                    null,
                    new Refusal(
                            Replies.TOO_MANY_TRANSACTIONS_FROM_NETWORK,
                            ReservedIds.MAX_TRANSACTIONS_PER_SUBNET));
        }
        Claim claim = new Claim(client, subnet);
        if (declared > 0 && !claim.grow(declared)) {
            claim.release();
            return new Result(
                    null, new Refusal(Replies.INSUFFICIENT_STORAGE, ReservedIds.IN_FLIGHT_BYTES));
        }
        return new Result(claim, null);
    }

    /** A claim, or why there is none. */
    record Result(Claim claim, Refusal refusal) {
        Optional<Refusal> refused() {
            return Optional.ofNullable(refusal);
        }
    }

    /** Message octets held by open transactions now. */
    long inFlight() {
        return inFlight.get();
    }

    private boolean reserve(long more) {
        long budget = resources.inFlightBytes();
        while (true) {
            long now = inFlight.get();
            if (now + more > budget) {
                return false;
            }
            if (inFlight.compareAndSet(now, now + more)) {
                return true;
            }
        }
    }

    private static <K> void leave(ConcurrentHashMap<K, Integer> counts, K key) {
        counts.computeIfPresent(key, (k, v) -> v <= 1 ? null : v - 1);
    }
}
