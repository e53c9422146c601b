package dev.bulwark.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The system's resolvers, as resolv.conf(5) names them. */
public final class ResolvConf {

    /** What resolv.conf(5) uses when the file names no server. */
    public static final InetSocketAddress LOCAL =
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 53);

    private ResolvConf() {}

    /**
     * The {@code nameserver} lines of the file, in order, on port 53; lines that are not an IP
     * address are skipped (as the C library does). A missing or empty file means the local
     * resolver, 127.0.0.1.
     */
    public static List<InetSocketAddress> nameservers(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of(LOCAL);
        }
        return parse(lines);
    }

    static List<InetSocketAddress> parse(List<String> lines) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 2 || !f[0].equals("nameserver")) {
                continue;
            }
            String host = f[1];
            int scope = host.indexOf('%');
            if (scope >= 0) {
                host =
                        host.substring(
                                0,
                                scope); // a link-local scope: the JDK's literal parser refuses it
            }
            try {
                out.add(new InetSocketAddress(InetAddress.ofLiteral(host), 53));
            } catch (IllegalArgumentException e) {
                // not an address: skipped, as the C library does
            }
        }
        return out.isEmpty() ? List.of(LOCAL) : List.copyOf(out);
    }
}
