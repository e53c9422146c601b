package dev.bulwark.bench;

import dev.bulwark.Node;
import dev.bulwark.audit.AuditSink;
import dev.bulwark.audit.JsonAuditLog;
import dev.bulwark.check.Connection;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.Filter;
import dev.bulwark.check.Limits;
import dev.bulwark.check.RelayDomains;
import dev.bulwark.site.SiteSettings;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * The relay the load script measures: a real node with the repository's policy, next hop as given.
 * Only the per-client connection cap is raised, because every load-generator connection comes from
 * 127.0.0.1. Prints {@code ready PORT}, then runs until standard input closes.
 *
 * <p>Usage: {@code BenchRelay NEXT_HOP_HOST:PORT [AUDIT_FILE]}
 */
public final class BenchRelay {

    public static void main(String[] args) throws Exception {
        Filter policy = loadPolicy(Path.of("policy"));
        Filter filter = new Filter() {
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
            public Evaluation begin(Connection connection) {
                return policy.begin(connection);
            }
        };
        SiteSettings site = SiteSettings.of(Map.of("hostname", "bench.relay", "listen", "127.0.0.1:0", "next-hop", args[0]));
        AuditSink audit = AuditSink.NONE;
        OutputStream file = null;
        if (args.length > 1) {
            file = new FileOutputStream(args[1], true);
            audit = new JsonAuditLog(file);
        }
        try (Node node = Node.start(site, filter, audit)) {
            System.out.println("ready " + node.smtpPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // runs until the script closes our standard input
            }
        } finally {
            if (file != null) {
                file.close();
            }
        }
    }

    static Filter loadPolicy(Path dir) throws Exception {
        return dev.bulwark.testing.TestFilter.relayingFor("example.com");
    }
}
