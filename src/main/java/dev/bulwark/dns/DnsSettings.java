package dev.bulwark.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How a node asks DNS: which resolvers, how long one query may take, how many answers are cached
 * and for how long at most. A site setting: it says where answers come from, never what the policy
 * does with them.
 *
 * @param servers recursive resolvers, tried in order
 * @param timeout the budget of one query, all attempts included
 * @param cacheEntries the most answers kept ({@link CachingResolver})
 * @param maxTtl answers are kept no longer than this, whatever their TTL says
 */
public record DnsSettings(
        List<InetSocketAddress> servers, Duration timeout, int cacheEntries, Duration maxTtl) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    public static final int DEFAULT_CACHE_ENTRIES = 50_000;
    public static final Duration DEFAULT_MAX_TTL = Duration.ofHours(1);

    public DnsSettings {
        servers = List.copyOf(servers);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no DNS resolver given");
        }
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException(
                    timeout.toMillis() + " ms is not a valid DNS timeout: must be positive");
        }
        if (cacheEntries < 0) {
            throw new IllegalArgumentException(
                    cacheEntries + " is not a valid DNS cache size: must be 0 or more");
        }
    }

    /** The system's resolvers ({@code /etc/resolv.conf}) with the default limits. */
    public static DnsSettings system() {
        return of(ResolvConf.nameservers(Path.of("/etc/resolv.conf")));
    }

    public static DnsSettings of(List<InetSocketAddress> servers) {
        return new DnsSettings(servers, DEFAULT_TIMEOUT, DEFAULT_CACHE_ENTRIES, DEFAULT_MAX_TTL);
    }

    public DnsSettings withTimeout(Duration t) {
        return new DnsSettings(servers, t, cacheEntries, maxTtl);
    }

    /**
     * Reads a site setting's list of resolvers: addresses separated by commas or spaces, each
     * {@code 192.0.2.53}, {@code 192.0.2.53:5353}, {@code 2001:db8::53} or {@code
     * [2001:db8::53]:5353} (port 53 when none is given). Only literal addresses: a resolver cannot
     * be found by name.
     *
     * @throws IllegalArgumentException naming the bad value and why
     */
    public static List<InetSocketAddress> parseServers(String text) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String item : text.trim().split("[,\\s]+")) {
            if (item.isEmpty()) {
                continue;
            }
            out.add(parseServer(item));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' names no DNS resolver");
        }
        return List.copyOf(out);
    }

    static InetSocketAddress parseServer(String item) {
        String host = item;
        int port = 53;
        if (item.startsWith("[")) {
            int close = item.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException(
                        "'" + item + "' is not a resolver address: missing ]");
            }
            host = item.substring(1, close);
            String rest = item.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException(
                            "'" + item + "' is not a resolver address: expected :PORT after ]");
                }
                port = port(item, rest.substring(1));
            }
        } else if (item.indexOf(':') >= 0 && item.indexOf(':') == item.lastIndexOf(':')) {
            host = item.substring(0, item.indexOf(':'));
            port = port(item, item.substring(item.indexOf(':') + 1));
        }
        InetAddress address;
        try {
            address = InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "'"
                            + item
                            + "' is not a resolver address: '"
                            + host
                            + "' is not an IP address");
        }
        return new InetSocketAddress(address, port);
    }

    private static int port(String item, String text) {
        try {
            int p = Integer.parseInt(text);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                "'" + item + "' is not a resolver address: port '" + text + "' is not 1 to 65535");
    }
}
