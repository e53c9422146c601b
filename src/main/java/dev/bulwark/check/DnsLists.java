package dev.bulwark.check;

import java.util.List;

/**
 * The DNS lists a policy consults: the zones its {@code dnsbl} matchers name (asked about the
 * client's address at connect) and those its {@code uribl} matchers name (asked about the hosts of
 * a message's links). The zones are part of the policy, so they are tested and digested like the
 * rest of it.
 */
public record DnsLists(List<String> client, List<String> uri) {

    public static final DnsLists NONE = new DnsLists(List.of(), List.of());

    public DnsLists {
        client = List.copyOf(client);
        uri = List.copyOf(uri);
    }
}
