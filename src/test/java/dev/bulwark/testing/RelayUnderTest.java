package dev.bulwark.testing;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.AuditSink;
import dev.bulwark.check.Filter;
import dev.bulwark.flow.Flow;
import dev.bulwark.flow.Policy;
import dev.bulwark.ops.ConnectionListener;
import dev.bulwark.ratelimit.RateLimiter;
import dev.bulwark.relay.NextHop;
import dev.bulwark.relay.NextHopConfig;
import dev.bulwark.smtp.SmtpSettings;
import dev.bulwark.smtp.adapter.SmtpServer;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/** A Bulwark relay on an ephemeral loopback port, relaying to a next hop on loopback. */
public final class RelayUnderTest implements AutoCloseable {

    /** The relay's name in its banner, replies and Received headers. */
    public static final String HOSTNAME = "relay.test";

    private final SmtpServer server;
    private final NextHop nextHop;
    private final RateLimiter limiter;
    private final List<AuditRecord> audit = new CopyOnWriteArrayList<>();

    public RelayUnderTest(Filter filter, int nextHopPort) {
        this(filter, nextHopPort, s -> s, c -> c);
    }

    public RelayUnderTest(
            Filter filter,
            int nextHopPort,
            UnaryOperator<SmtpSettings> settings,
            UnaryOperator<NextHopConfig> nextHopConfig) {
        this(filter, nextHopPort, settings, nextHopConfig, AuditSink.NONE, ConnectionListener.NONE);
    }

    /**
     * As above; every audit record also goes to {@code extraAudit}, and sessions are reported to
     * {@code connections}.
     */
    public RelayUnderTest(
            Filter filter,
            int nextHopPort,
            UnaryOperator<SmtpSettings> settings,
            UnaryOperator<NextHopConfig> nextHopConfig,
            AuditSink extraAudit,
            ConnectionListener connections) {
        this(
                filter,
                RateLimiter.builder(List.of()).build(),
                nextHopPort,
                settings,
                nextHopConfig,
                extraAudit,
                connections);
    }

    /** A relay enforcing {@code limiter}'s rate limits (closed with the relay). */
    public RelayUnderTest(Filter filter, RateLimiter limiter, int nextHopPort) {
        this(filter, limiter, nextHopPort, s -> s, c -> c, AuditSink.NONE, ConnectionListener.NONE);
    }

    public RelayUnderTest(
            Filter filter,
            RateLimiter limiter,
            int nextHopPort,
            UnaryOperator<SmtpSettings> settings,
            UnaryOperator<NextHopConfig> nextHopConfig,
            AuditSink extraAudit,
            ConnectionListener connections) {
        this(
                filter,
                limiter,
                nextHopPort,
                settings,
                nextHopConfig,
                b -> b,
                extraAudit,
                connections);
    }

    /** As above, with the flow's node settings adjusted by {@code flowSettings}. */
    public RelayUnderTest(
            Filter filter,
            RateLimiter limiter,
            int nextHopPort,
            UnaryOperator<SmtpSettings> settings,
            UnaryOperator<NextHopConfig> nextHopConfig,
            UnaryOperator<Flow.Builder> flowSettings,
            AuditSink extraAudit,
            ConnectionListener connections) {
        this(
                Policy.of(filter, limiter.limits()),
                limiter,
                nextHopPort,
                settings,
                nextHopConfig,
                flowSettings,
                extraAudit,
                connections);
    }

    /**
     * The relay a node runs for {@code policy}, with the flow's node settings (spool, clock...)
     * adjusted by {@code flowSettings}.
     */
    public RelayUnderTest(
            Policy policy, int nextHopPort, UnaryOperator<Flow.Builder> flowSettings) {
        this(
                policy,
                RateLimiter.builder(List.of()).build(),
                nextHopPort,
                s -> s,
                c -> c,
                flowSettings,
                AuditSink.NONE,
                ConnectionListener.NONE);
    }

    /** The relay a node runs for {@code policy}, with its next hop and flow settings adjusted. */
    public RelayUnderTest(
            Policy policy,
            int nextHopPort,
            UnaryOperator<NextHopConfig> nextHopConfig,
            UnaryOperator<Flow.Builder> flowSettings) {
        this(
                policy,
                RateLimiter.builder(List.of()).build(),
                nextHopPort,
                s -> s,
                nextHopConfig,
                flowSettings,
                AuditSink.NONE,
                ConnectionListener.NONE);
    }

    private RelayUnderTest(
            Policy policy,
            RateLimiter limiter,
            int nextHopPort,
            UnaryOperator<SmtpSettings> settings,
            UnaryOperator<NextHopConfig> nextHopConfig,
            UnaryOperator<Flow.Builder> flowSettings,
            AuditSink extraAudit,
            ConnectionListener connections) {
        this.limiter = limiter;
        NextHopConfig config =
                nextHopConfig.apply(
                        NextHopConfig.of("127.0.0.1", nextHopPort, "relay.test")
                                .withTimeouts(
                                        Duration.ofSeconds(5),
                                        Duration.ofSeconds(5),
                                        Duration.ofSeconds(10)));
        nextHop = new NextHop(config);
        SmtpSettings s = settings.apply(SmtpSettings.of(new InetSocketAddress("127.0.0.1", 0)));
        AuditSink collect = audit::add;
        Flow flow =
                flowSettings
                        .apply(
                                Flow.builder(policy, nextHop)
                                        .limiter(limiter)
                                        .audit(collect.and(extraAudit))
                                        .clock(Clock.systemUTC())
                                        .hostname(HOSTNAME))
                        .build();
        server = SmtpServer.start(s, flow, connections);
    }

    public int port() {
        return server.port();
    }

    public RateLimiter limiter() {
        return limiter;
    }

    public NextHop nextHop() {
        return nextHop;
    }

    public List<AuditRecord> audit() {
        return List.copyOf(audit);
    }

    @Override
    public void close() {
        server.close();
        nextHop.close();
        limiter.close();
    }
}
