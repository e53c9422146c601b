package dev.bulwark.bench;

import dev.bulwark.Node;
import dev.bulwark.auth.PublicSuffixList;
import dev.bulwark.check.Connection;
import dev.bulwark.check.DnsLists;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.Filter;
import dev.bulwark.check.Limits;
import dev.bulwark.check.RelayDomains;
import dev.bulwark.flow.Policy;
import dev.bulwark.ops.VersionInfo;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.ratelimit.LimitSpec;
import dev.bulwark.site.SiteSettings;
import dev.bulwark.testing.NsdServer;

import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The relay the load script measures: a real node with the repository's policy, next hop as given.
 * Prints {@code ready PORT}, then runs until standard input closes.
 *
 * <p>Usage: {@code BenchRelay NEXT_HOP_HOST:PORT [--limits none|local|fleet] [--redis URI] [--audit
 * FILE] [--site KEY=VALUE]... [--auth off|nsd]}: {@code --auth nsd} checks SPF, DKIM, DMARC and the
 * policy's DNS lists against an nsd on loopback, {@code off} (the default) checks none.
 *
 * <p>Every load-generator connection comes from 127.0.0.1, so the policy's per-client caps are
 * lifted. With {@code --limits}, the policy's first three rate limits (connect, mail, rcpt) are
 * consulted on every message, with capacities so large they never refuse: the run measures their
 * cost, not their effect. {@code fleet} keeps them in Redis.
 */
public final class BenchRelay {

    private BenchRelay() {}

    /**
     * What smtp-source's mail asks: SPF for the HELO name and the sender's domain (a pass for
     * 127.0.0.1), DMARC for the From domain, the Spamhaus lists of the repository's policy (not
     * listed).
     */
    private static NsdServer.Zones loadZones() {
        return new NsdServer.Zones()
                .zone(
                        "sender.example",
                        "@ TXT \"v=spf1 ip4:127.0.0.0/8 -all\"",
                        "_dmarc TXT \"v=DMARC1; p=reject\"")
                .zone("client.example", "load TXT \"v=spf1 ip4:127.0.0.0/8 -all\"")
                .zone("example.com", "_dmarc TXT \"v=DMARC1; p=none\"")
                .zone("zen.spamhaus.org", "127.0.0.2 A 127.0.0.2")
                .zone("dbl.spamhaus.org", "dbltest.com A 127.0.1.2");
    }

    public static void main(String[] args) throws Exception {
        CompiledPolicy policy = CompiledPolicy.compile(Path.of("policy"));
        Filter filter =
                new Filter() {
                    @Override
                    public String digest() {
                        return policy.digest();
                    }

                    @Override
                    public Limits limits() {
                        return policy.limits().withConnections(10_000, 10_000);
                    }

                    @Override
                    public RelayDomains relayDomains() {
                        return policy.relayDomains();
                    }

                    @Override
                    public DnsLists dnsLists() {
                        return policy.dnsLists();
                    }

                    @Override
                    public PublicSuffixList publicSuffixes() {
                        return policy.publicSuffixes();
                    }

                    @Override
                    public Evaluation begin(Connection connection) {
                        return policy.begin(connection);
                    }
                };
        String limits = "none";
        String auth = "off";
        Map<String, String> site =
                new HashMap<>(
                        Map.of(
                                "hostname",
                                "bench.relay",
                                "listen",
                                "127.0.0.1:0",
                                "next-hop",
                                args[0],
                                "next-hop.max-connections",
                                "200"));
        // Like the policy's caps above: every load-generator connection comes from 127.0.0.1, so
        // the site's per-client and per-subnet caps are lifted unless --site sets them (the attack
        // benchmark runs with the shipped ones).
        site.put("clients.max-sessions-per-subnet", "10000");
        site.put("clients.max-transactions-per-client", "10000");
        site.put("clients.max-transactions-per-subnet", "10000");
        OutputStream audit = OutputStream.nullOutputStream();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--limits" -> limits = args[++i];
                case "--redis" -> site.put("redis.uri", args[++i]);
                case "--audit" -> audit = new FileOutputStream(args[++i], true);
                case "--site" -> {
                    String kv = args[++i];
                    int eq = kv.indexOf('=');
                    site.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                case "--auth" -> auth = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        List<LimitSpec> specs = new ArrayList<>();
        if (!limits.equals("none")) {
            LimitSpec.Scope scope =
                    limits.equals("fleet") ? LimitSpec.Scope.FLEET : LimitSpec.Scope.LOCAL;
            for (LimitSpec s : policy.rateLimits().subList(0, 3)) {
                specs.add(
                        new LimitSpec(
                                s.id(),
                                s.stage(),
                                s.key(),
                                s.ipv4Prefix(),
                                s.ipv6Prefix(),
                                1_000_000_000L,
                                s.period(),
                                s.cost(),
                                scope,
                                false));
            }
        }
        VersionInfo version = new VersionInfo("bench", "bench", policy.digest(), "unsigned");
        Node.Parts parts =
                new Node.Parts(Policy.of(filter, specs), version, () -> true, audit, r -> {});
        NsdServer nsd = null;
        switch (auth) {
            case "off" -> parts = parts.withoutAuthentication();
            case "nsd" -> {
                // The node's own resolver (client and TTL cache, as dns.servers builds it),
                // asking an authoritative nsd on loopback for every zone the load touches.
                nsd = NsdServer.start(loadZones());
                site.put(
                        "dns.servers",
                        nsd.address().getAddress().getHostAddress()
                                + ":"
                                + nsd.address().getPort());
            }
            default -> throw new IllegalArgumentException("--auth off|nsd, not " + auth);
        }
        try (NsdServer closeNsd = nsd;
                Node node = Node.start(SiteSettings.of(site), parts)) {
            System.out.println("ready " + node.smtpPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // runs until the script closes our standard input
            }
        } finally {
            audit.close();
        }
    }
}
