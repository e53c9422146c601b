package dev.bulwark;

import dev.bulwark.audit.AuditSink;
import dev.bulwark.check.Filter;
import dev.bulwark.relay.NextHop;
import dev.bulwark.relay.NextHopConfig;
import dev.bulwark.site.Pem;
import dev.bulwark.site.SiteSettings;
import dev.bulwark.smtp.SmtpServer;
import dev.bulwark.smtp.SmtpSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * One running Bulwark node: the SMTP listener, the next hop, and where audit records go, wired
 * from the site settings and a compiled policy.
 */
public final class Node implements AutoCloseable {

    private final SmtpServer smtp;
    private final NextHop nextHop;

    private Node(SmtpServer smtp, NextHop nextHop) {
        this.smtp = smtp;
        this.nextHop = nextHop;
    }

    public static Node start(SiteSettings site, Filter filter, AuditSink audit) {
        NextHopConfig hop = NextHopConfig.of(site.nextHop().host(), site.nextHop().port(), site.hostname())
                .withTimeouts(Duration.ofSeconds(10), site.nextHopTimeout(), site.nextHopTimeout().multipliedBy(2))
                .withTls(site.nextHopTls(), site.nextHopCa().map(Pem::trustContext))
                .withPool(64, Duration.ofSeconds(10), site.nextHopConnections());
        NextHop nextHop = new NextHop(hop);
        SmtpSettings smtp = SmtpSettings.of(site.hostname(), site.listen())
                .withTrustedBalancers(site.trustedBalancers())
                .withSpool(site.spoolDirectory(), 1024 * 1024);
        if (site.tlsCert().isPresent() && site.tlsKey().isPresent()) {
            smtp = smtp.withTls(Pem.serverContext(site.tlsCert().get(), site.tlsKey().get()));
        }
        try {
            return new Node(SmtpServer.start(smtp, filter, nextHop, audit, Clock.systemUTC()), nextHop);
        } catch (RuntimeException e) {
            nextHop.close();
            throw e;
        }
    }

    public int smtpPort() {
        return smtp.port();
    }

    public NextHop nextHop() {
        return nextHop;
    }

    Optional<Integer> activeConnections() {
        return Optional.of(smtp.activeConnections());
    }

    @Override
    public void close() {
        smtp.close();
        nextHop.close();
    }
}
