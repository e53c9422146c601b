package dev.bulwark;

import dev.bulwark.audit.AuditChain;
import dev.bulwark.audit.AuditFile;
import dev.bulwark.audit.AuditLines;
import dev.bulwark.audit.AuditSink;
import dev.bulwark.audit.JsonAuditLog;
import dev.bulwark.check.IntegritySettings;
import dev.bulwark.dns.CachingResolver;
import dev.bulwark.dns.DnsResolver;
import dev.bulwark.flow.Authenticator;
import dev.bulwark.flow.Flow;
import dev.bulwark.flow.Policy;
import dev.bulwark.ops.Metrics;
import dev.bulwark.ops.OpsServer;
import dev.bulwark.ops.Readiness;
import dev.bulwark.ops.Scheduler;
import dev.bulwark.ops.SelfCheck;
import dev.bulwark.ops.VersionInfo;
import dev.bulwark.ratelimit.RateLimiter;
import dev.bulwark.ratelimit.RedisSettings;
import dev.bulwark.relay.NextHop;
import dev.bulwark.relay.NextHopConfig;
import dev.bulwark.runtime.SelfVerification;
import dev.bulwark.site.Pem;
import dev.bulwark.site.SiteSettings;
import dev.bulwark.site.SiteSettingsException;
import dev.bulwark.smtp.SmtpSettings;
import dev.bulwark.smtp.adapter.SmtpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * One running Bulwark node, wired from the site settings and a policy: the transaction flow with
 * its next hop, rate limits (in process, or fleet-wide through Redis) and audit records (standard
 * output, optionally a file), the SMTP listener that drives it, and the operations listener
 * (metrics, health, version).
 */
public final class Node implements AutoCloseable {

    /** What a node runs: the policy (with its rate limits), and what it reports about itself. */
    public record Parts(
            Policy policy,
            VersionInfo version,
            BooleanSupplier selfVerified,
            OutputStream auditOut,
            AuditSink extraAudit,
            Optional<DnsResolver> dns,
            boolean authenticate,
            Optional<Integrity> integrity) {

        /** Parts whose DNS answers come from the site's resolvers. */
        public Parts(
                Policy policy,
                VersionInfo version,
                BooleanSupplier selfVerified,
                OutputStream auditOut,
                AuditSink extraAudit) {
            this(
                    policy,
                    version,
                    selfVerified,
                    auditOut,
                    extraAudit,
                    Optional.empty(),
                    true,
                    Optional.empty());
        }

        /**
         * The same parts with DNS answers from {@code resolver} instead of the site's resolvers
         * (tests and benchmarks: a local server, or recorded answers).
         */
        public Parts withDns(DnsResolver resolver) {
            return new Parts(
                    policy,
                    version,
                    selfVerified,
                    auditOut,
                    extraAudit,
                    Optional.of(resolver),
                    authenticate,
                    integrity);
        }

        /**
         * The same parts without sender authentication and DNS lists (benchmarks measuring what
         * they cost): no authentication matcher holds, no Authentication-Results field is added.
         */
        public Parts withoutAuthentication() {
            return new Parts(
                    policy, version, selfVerified, auditOut, extraAudit, dns, false, integrity);
        }

        /**
         * The same parts with the runtime checked while serving: every {@code settings.interval()}
         * on {@code scheduler}, and on {@code POST /verify}.
         */
        public Parts withIntegrity(Integrity value) {
            return new Parts(
                    policy,
                    version,
                    selfVerified,
                    auditOut,
                    extraAudit,
                    dns,
                    authenticate,
                    Optional.of(value));
        }
    }

    /**
     * How a node started from a verified runtime keeps checking it (ADR 0018).
     *
     * @param verification the runtime and its manifest as the start check read them
     * @param settings the policy's {@code integrity:} section
     * @param scheduler runs the periodic passes
     * @param startCheckedAt when the start check passed
     */
    public record Integrity(
            SelfVerification verification,
            IntegritySettings settings,
            Scheduler scheduler,
            Instant startCheckedAt) {}

    private final SmtpServer smtp;
    private final NextHop nextHop;
    private final Optional<OpsServer> ops;
    private final Deque<AutoCloseable> resources;

    private Node(
            SmtpServer smtp,
            NextHop nextHop,
            Optional<OpsServer> ops,
            Deque<AutoCloseable> resources) {
        this.smtp = smtp;
        this.nextHop = nextHop;
        this.ops = ops;
        this.resources = resources;
    }

    /**
     * Starts a node with no rate limits, audit to nothing but {@code audit} (tests, benchmarks).
     */
    public static Node start(SiteSettings site, Policy policy, AuditSink audit) {
        return start(
                site,
                new Parts(
                        policy,
                        new VersionInfo("dev", "unknown", policy.digest().hex(), "unsigned"),
                        () -> true,
                        OutputStream.nullOutputStream(),
                        audit));
    }

    /**
     * Starts everything or nothing: if any part cannot start (a bad Redis URI, a port in use), the
     * parts already started are closed and the error names the setting.
     */
    public static Node start(SiteSettings site, Parts parts) {
        Deque<AutoCloseable> started = new ArrayDeque<>();
        try {
            RateLimiter limiter =
                    RateLimiter.builder(parts.policy().rateLimits()).redis(redis(site)).build();
            started.push(limiter);
            Metrics metrics =
                    Metrics.create(
                            parts.version(),
                            () -> !limiter.fleetConfigured() || limiter.fleetHealthy());
            // One chain for every destination: the journal's lines and the file's are the same.
            List<AuditLines> outs = new ArrayList<>();
            outs.add(new JsonAuditLog(parts.auditOut()));
            if (site.auditFile().isPresent()) {
                AuditFile file = AuditFile.open(site.auditFile().get());
                started.push(file);
                outs.add(file);
            }
            AuditChain chain =
                    AuditChain.start(
                            AuditChain.Genesis.of(
                                    parts.version().version(),
                                    parts.version().commit(),
                                    parts.integrity().map(i -> i.verification().manifestSha256()),
                                    parts.policy().digest().hex()),
                            Clock.systemUTC(),
                            outs);
            metrics.auditChain(chain::head);
            AuditSink audit = chain.and(metrics).and(parts.extraAudit());
            Optional<SelfCheck> selfCheck =
                    parts.integrity()
                            .map(
                                    i ->
                                            new SelfCheck(
                                                    i.verification(),
                                                    i.settings(),
                                                    chain,
                                                    i.startCheckedAt()));
            selfCheck.ifPresent(s -> s.register(metrics));
            NextHop nextHop =
                    new NextHop(
                            NextHopConfig.of(
                                            site.nextHop().host(),
                                            site.nextHop().port(),
                                            site.hostname())
                                    .withTimeouts(
                                            Duration.ofSeconds(10),
                                            site.nextHopTimeout(),
                                            site.nextHopTimeout().multipliedBy(2))
                                    .withTls(
                                            site.nextHopTls(),
                                            site.nextHopCa().map(Pem::trustContext))
                                    .withPool(
                                            64, Duration.ofSeconds(10), site.nextHopConnections()));
            started.push(nextHop);
            Flow.Builder flowBuilder =
                    Flow.builder(parts.policy(), nextHop)
                            .limiter(limiter)
                            .audit(audit)
                            .clock(Clock.systemUTC())
                            .hostname(site.hostname())
                            .spool(site.spoolDirectory(), 1024 * 1024)
                            .resources(site.resources());
            selfCheck.ifPresent(s -> flowBuilder.accepting(s::accepting));
            if (parts.authenticate()) {
                flowBuilder.authenticator(authenticator(site, parts, metrics));
            }
            Flow flow = flowBuilder.build();
            metrics.inFlight(flow::inFlightBytes, flow.resources().inFlightBytes());
            SmtpSettings smtpSettings =
                    SmtpSettings.of(site.listen()).withTrustedBalancers(site.trustedBalancers());
            if (site.tlsCert().isPresent() && site.tlsKey().isPresent()) {
                smtpSettings =
                        smtpSettings.withTls(
                                Pem.serverContext(site.tlsCert().get(), site.tlsKey().get()));
            }
            SmtpServer smtp = startSmtp(site, smtpSettings, flow, metrics);
            started.push(smtp);
            if (selfCheck.isPresent()) {
                Integrity i = parts.integrity().orElseThrow();
                started.push(i.scheduler().every(i.settings().interval(), selfCheck.get()::run));
            }
            Optional<OpsServer> ops = Optional.empty();
            if (site.metricsListen().isPresent()) {
                BooleanSupplier verified = parts.selfVerified();
                Readiness readiness =
                        Readiness.withSelfCheck(
                                () ->
                                        !verified.getAsBoolean()
                                                ? Optional.of(
                                                        "self-verification against the manifest"
                                                                + " has not passed")
                                                : selfCheck.flatMap(SelfCheck::problem),
                                nextHop::probe,
                                Readiness.DEFAULT_PROBE_CACHE,
                                System::nanoTime);
                VersionInfo version = parts.version();
                OpsServer.Controls controls =
                        new OpsServer.Controls(
                                () -> {
                                    AuditChain.Head h = chain.head();
                                    return version.toJson(h.records(), h.hash());
                                },
                                selfCheck.map(s -> s::verifyForOps),
                                Optional.of(chain::reopen));
                ops =
                        Optional.of(
                                OpsServer.start(
                                        site.metricsListen().get(),
                                        new OpsServer.Access(
                                                site.metricsAllow(), site.metricsMaxConnections()),
                                        metrics,
                                        readiness,
                                        controls));
                started.push(ops.get());
            }
            return new Node(smtp, nextHop, ops, started);
        } catch (IOException e) {
            closeAll(started);
            throw new SiteSettingsException(List.of("audit.file: " + e.getMessage()));
        } catch (RuntimeException e) {
            closeAll(started);
            throw e;
        }
    }

    /**
     * One resolver for the node, from the site settings (behind a cache whose hits and misses are
     * metrics) unless the parts bring their own, and the authenticator over it.
     */
    private static Authenticator authenticator(SiteSettings site, Parts parts, Metrics metrics) {
        DnsResolver dns =
                parts.dns()
                        .orElseGet(
                                () -> {
                                    CachingResolver cache =
                                            CachingResolver.of(site.dns(), Clock.systemUTC());
                                    metrics.dnsCache(cache);
                                    return cache;
                                });
        return new Authenticator(
                dns,
                parts.policy().filter().publicSuffixes(),
                Clock.systemUTC(),
                site.hostname(),
                site.dnsBudget());
    }

    private static SmtpServer startSmtp(
            SiteSettings site, SmtpSettings settings, Flow flow, Metrics metrics) {
        try {
            return SmtpServer.start(settings, flow, metrics);
        } catch (RuntimeException e) {
            throw new SiteSettingsException(
                    List.of(
                            "listen: cannot listen on "
                                    + site.listen()
                                    + ": "
                                    + (e.getCause() != null
                                            ? e.getCause().getMessage()
                                            : e.getMessage())));
        }
    }

    private static Optional<RedisSettings> redis(SiteSettings site) {
        if (site.redisUri().isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(
                    RedisSettings.parse(site.redisUri().get()).withTimeout(site.redisTimeout()));
        } catch (IllegalArgumentException e) {
            throw new SiteSettingsException(List.of("redis.uri: " + e.getMessage()));
        }
    }

    public int smtpPort() {
        return smtp.port();
    }

    public Optional<InetSocketAddress> opsAddress() {
        return ops.map(OpsServer::address);
    }

    public NextHop nextHop() {
        return nextHop;
    }

    @Override
    public void close() {
        closeAll(resources);
    }

    private static void closeAll(Deque<AutoCloseable> resources) {
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                System.err.println("bulwark: error while stopping: " + e.getMessage());
            }
        }
    }
}
