package dev.bulwark.check.rules;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A set of IPv4 and IPv6 networks, looked up with a binary trie per address family: a lookup costs
 * at most 32 (IPv4) or 128 (IPv6) steps whatever the number of entries. IPv4-mapped IPv6 addresses
 * ({@code ::ffff:192.0.2.1}) are looked up as IPv4, so a dual-stack listener matches the IPv4
 * entries.
 */
public final class CidrSet {

    /** One network: the address bytes with host bits cleared, and the prefix length. */
    public record Network(byte[] address, int prefix) {
        public Network {
            address = address.clone();
            int bits = address.length * 8;
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException("prefix " + prefix + " out of range 0.." + bits);
            }
        }

        @Override
        public byte[] address() {
            return address.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Network n
                    && n.prefix == prefix
                    && java.util.Arrays.equals(n.address, address);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(address) * 31 + prefix;
        }

        @Override
        public String toString() {
            return Cidrs.format(this);
        }
    }

    private final Trie v4;
    private final Trie v6;
    private final List<Network> networks;

    private CidrSet(List<Network> networks) {
        this.networks = List.copyOf(networks);
        this.v4 = new Trie();
        this.v6 = new Trie();
        for (Network n : networks) {
            (n.address.length == 4 ? v4 : v6).insert(n.address, n.prefix);
        }
    }

    public static CidrSet of(List<Network> networks) {
        return new CidrSet(networks);
    }

    /**
     * The set of CIDR list entries that {@link Cidrs#parse} accepts as they are (the compiler's
     * canonical entries).
     *
     * @throws IllegalArgumentException for an entry that is not such a CIDR
     */
    public static CidrSet ofEntries(List<String> entries) {
        List<Network> networks = new java.util.ArrayList<>(entries.size());
        for (String e : entries) {
            if (!(Cidrs.parse(e) instanceof Cidrs.Parsed.Ok ok)) {
                throw new IllegalArgumentException("'" + e + "' is not a CIDR");
            }
            networks.add(ok.network());
        }
        return of(networks);
    }

    public List<Network> networks() {
        return networks;
    }

    /** The most specific network containing the address, if any. */
    public Optional<Network> lookup(InetAddress address) {
        byte[] bytes = unmapped(address);
        Trie trie = bytes.length == 4 ? v4 : v6;
        int prefix = trie.longestMatch(bytes);
        if (prefix < 0) {
            return Optional.empty();
        }
        return Optional.of(new Network(Cidrs.mask(bytes, prefix), prefix));
    }

    public boolean contains(InetAddress address) {
        byte[] bytes = unmapped(address);
        return (bytes.length == 4 ? v4 : v6).longestMatch(bytes) >= 0;
    }

    /** The address as IPv4 bytes when it is IPv4 or IPv4-mapped IPv6, else its 16 bytes. */
    static byte[] unmapped(InetAddress address) {
        byte[] b = address.getAddress();
        if (address instanceof Inet6Address && isMapped(b)) {
            return new byte[] {b[12], b[13], b[14], b[15]};
        }
        if (!(address instanceof Inet4Address) && !(address instanceof Inet6Address)) {
            throw new IllegalArgumentException("unknown address family: " + address);
        }
        return b;
    }

    private static boolean isMapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }

    /** Binary trie over address bits, nodes in parallel int arrays (no object per node). */
    private static final class Trie {
        private int[] zero = new int[16];
        private int[] one = new int[16];
        private boolean[] terminal = new boolean[16];
        private int size = 1;

        void insert(byte[] address, int prefix) {
            int node = 0;
            for (int i = 0; i < prefix; i++) {
                boolean bit = bit(address, i);
                int next = bit ? one[node] : zero[node];
                if (next == 0) {
                    next = newNode();
                    if (bit) {
                        one[node] = next;
                    } else {
                        zero[node] = next;
                    }
                }
                node = next;
            }
            terminal[node] = true;
        }

        private int newNode() {
            if (size == zero.length) {
                zero = java.util.Arrays.copyOf(zero, size * 2);
                one = java.util.Arrays.copyOf(one, size * 2);
                terminal = java.util.Arrays.copyOf(terminal, size * 2);
            }
            return size++;
        }

        /** Length of the longest stored prefix of the address, or -1. */
        int longestMatch(byte[] address) {
            int node = 0;
            int best = terminal[0] ? 0 : -1;
            int bits = address.length * 8;
            for (int i = 0; i < bits; i++) {
                node = bit(address, i) ? one[node] : zero[node];
                if (node == 0) {
                    break;
                }
                if (terminal[node]) {
                    best = i + 1;
                }
            }
            return best;
        }

        private static boolean bit(byte[] a, int i) {
            return (a[i >>> 3] & (0x80 >>> (i & 7))) != 0;
        }
    }

    /** Used by the compiler to validate entries before building a set. */
    public static List<Network> sorted(List<Network> networks) {
        List<Network> copy = new ArrayList<>(networks);
        copy.sort(Cidrs.ORDER);
        return copy;
    }
}
