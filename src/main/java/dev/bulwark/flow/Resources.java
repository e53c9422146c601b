package dev.bulwark.flow;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;

/**
 * What one node lets its clients hold at once (ADR 0016): caps per client address and per client
 * subnet on sessions and open transactions (each open transaction holds one next-hop connection),
 * how long a transaction may wait between MAIL and its message, how long a session may last, and
 * the node's budget of message octets in flight (in memory or spilled). Site settings, because they
 * follow the node's size, not what mail passes; the policy's {@code limits} keep the per-address
 * and total connection caps.
 *
 * @param ipv4Prefix the prefix length that makes an IPv4 client's subnet (24)
 * @param ipv6Prefix the prefix length that makes an IPv6 client's subnet (64: one site)
 * @param maxSessionsPerSubnet sessions open at once from one subnet
 * @param maxTransactionsPerClient open transactions (next-hop connections) of one client address
 * @param maxTransactionsPerSubnet open transactions (next-hop connections) of one subnet
 * @param transactionLifetime how long a transaction may stay open before its message starts
 * @param sessionLifetime how long a session may last, however busy
 * @param inFlightBytes message octets the node holds at once, declared or received
 */
public record Resources(
        int ipv4Prefix,
        int ipv6Prefix,
        int maxSessionsPerSubnet,
        int maxTransactionsPerClient,
        int maxTransactionsPerSubnet,
        Duration transactionLifetime,
        Duration sessionLifetime,
        long inFlightBytes) {

    public Resources {
        Objects.requireNonNull(transactionLifetime, "transactionLifetime");
        Objects.requireNonNull(sessionLifetime, "sessionLifetime");
        if (ipv4Prefix < 0 || ipv4Prefix > 32) {
            throw new IllegalArgumentException(
                    ipv4Prefix + " is not a valid ipv4Prefix: it must be between 0 and 32");
        }
        if (ipv6Prefix < 0 || ipv6Prefix > 128) {
            throw new IllegalArgumentException(
                    ipv6Prefix + " is not a valid ipv6Prefix: it must be between 0 and 128");
        }
        positive(maxSessionsPerSubnet, "maxSessionsPerSubnet");
        positive(maxTransactionsPerClient, "maxTransactionsPerClient");
        positive(maxTransactionsPerSubnet, "maxTransactionsPerSubnet");
        positive(inFlightBytes, "inFlightBytes");
        positive(transactionLifetime, "transactionLifetime");
        positive(sessionLifetime, "sessionLifetime");
    }

    private static void positive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(
                    value + " is not a valid " + name + ": it must be positive");
        }
    }

    private static void positive(Duration value, String name) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(
                    value + " is not a valid " + name + ": it must be positive");
        }
    }

    /**
     * The default in-flight budget, 128 MiB: half the image's /tmp (where messages over 1 MiB
     * spill), and with the launcher's default heap of 512 MiB room for each octet in flight to be
     * parsed (about three times its size, ADR 0012) beside a 64 MiB base (ADR 0016).
     */
    public static final long DEFAULT_IN_FLIGHT_BYTES = 128L * 1024 * 1024;

    /**
     * Defaults for a node with the default 100 next-hop connections: one subnet may hold a fifth of
     * them, one address a tenth; see ADR 0016.
     */
    public static Resources defaults() {
        return new Resources(
                24,
                64,
                100,
                10,
                20,
                Duration.ofMinutes(5),
                Duration.ofMinutes(30),
                DEFAULT_IN_FLIGHT_BYTES);
    }

    public Resources withSubnetPrefixes(int ipv4, int ipv6) {
        return new Resources(
                ipv4,
                ipv6,
                maxSessionsPerSubnet,
                maxTransactionsPerClient,
                maxTransactionsPerSubnet,
                transactionLifetime,
                sessionLifetime,
                inFlightBytes);
    }

    public Resources withSessionsPerSubnet(int value) {
        return new Resources(
                ipv4Prefix,
                ipv6Prefix,
                value,
                maxTransactionsPerClient,
                maxTransactionsPerSubnet,
                transactionLifetime,
                sessionLifetime,
                inFlightBytes);
    }

    public Resources withTransactions(int perClient, int perSubnet) {
        return new Resources(
                ipv4Prefix,
                ipv6Prefix,
                maxSessionsPerSubnet,
                perClient,
                perSubnet,
                transactionLifetime,
                sessionLifetime,
                inFlightBytes);
    }

    public Resources withLifetimes(Duration transaction, Duration session) {
        return new Resources(
                ipv4Prefix,
                ipv6Prefix,
                maxSessionsPerSubnet,
                maxTransactionsPerClient,
                maxTransactionsPerSubnet,
                transaction,
                session,
                inFlightBytes);
    }

    public Resources withInFlightBytes(long value) {
        return new Resources(
                ipv4Prefix,
                ipv6Prefix,
                maxSessionsPerSubnet,
                maxTransactionsPerClient,
                maxTransactionsPerSubnet,
                transactionLifetime,
                sessionLifetime,
                value);
    }

    /**
     * The subnet {@code client} counts against: {@code network/prefix} with the host bits cleared
     * ({@code 192.0.2.0/24}, {@code 2001:db8:1:2::/64}).
     */
    public String subnet(InetAddress client) {
        int prefix = client instanceof Inet4Address ? ipv4Prefix : ipv6Prefix;
        byte[] bytes = client.getAddress();
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return InetAddress.getByAddress(bytes).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of " + bytes.length + " octets", e);
        }
    }
}
