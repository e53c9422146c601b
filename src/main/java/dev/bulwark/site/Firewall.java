package dev.bulwark.site;

import java.net.Inet4Address;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The image firewall's share of the site settings: the networks {@code metrics.allow} names become
 * the elements of the nftables sets {@code metrics4} and {@code metrics6}, which the image's rule
 * for the operations port matches (packer/guest/nftables.conf). The listener checks the same list
 * (ADR 0015); the firewall keeps everyone else from reaching it at all. The sets start empty, so
 * until this script is loaded the port is closed to all but loopback.
 */
public final class Firewall {

    /** The table and sets the image's nftables.conf declares. */
    static final String TABLE = "inet bulwark";

    private Firewall() {}

    /** An nft script (for {@code nft -f -}) that fills the sets with exactly these networks. */
    public static String metricsSets(List<Cidr> allow) {
        StringBuilder s = new StringBuilder();
        s.append("# bulwark site firewall: metrics.allow\n");
        set(
                s,
                "metrics4",
                allow.stream().filter(c -> c.network() instanceof Inet4Address).toList());
        set(
                s,
                "metrics6",
                allow.stream().filter(c -> !(c.network() instanceof Inet4Address)).toList());
        return s.toString();
    }

    private static void set(StringBuilder s, String name, List<Cidr> blocks) {
        s.append("flush set ").append(TABLE).append(' ').append(name).append('\n');
        if (!blocks.isEmpty()) {
            s.append("add element ")
                    .append(TABLE)
                    .append(' ')
                    .append(name)
                    .append(" { ")
                    .append(blocks.stream().map(Cidr::toString).collect(Collectors.joining(", ")))
                    .append(" }\n");
        }
    }
}
