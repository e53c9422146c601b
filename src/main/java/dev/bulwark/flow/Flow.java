package dev.bulwark.flow;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.AuditSink;
import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Connection;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Hit;
import dev.bulwark.check.Score;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.ratelimit.RateLimiter;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * One SMTP transaction flow, end to end and without a network: relay domains, rules, limits,
 * carried verdicts, the next hop, trace headers and the audit record. Immutable and shared by every
 * session of a node (built once from the policy, the rate limiter, the next hop, the audit sink and
 * a clock); {@link #open} starts the per-session {@link FlowSession}, like a compiled pattern and
 * its matcher.
 *
 * <p>Three drivers use it: the SMTP server with real sockets and the real next hop, and the ruleset
 * gate and {@code bulwark check} with an {@link InMemoryNextHop} ({@link Trial}). So a policy test
 * case tests what the server does.
 */
public final class Flow {

    private final Policy policy;
    private final RateLimiter limiter;
    private final NextHopClient nextHop;
    private final AuditSink audit;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final String hostname;
    private final Path spoolDirectory;
    private final long spoolMemoryThreshold;
    private final Resources resources;
    private final Occupancy occupancy;
    private final Optional<Authenticator> authenticator;
    private final BooleanSupplier accepting;

    private Flow(Builder b) {
        this.policy = b.policy;
        this.limiter = b.limiter != null ? b.limiter : RateLimiter.builder(List.of()).build();
        this.nextHop = b.nextHop;
        this.audit = b.audit;
        this.clock = b.clock;
        this.nanoTime = b.nanoTime;
        this.hostname = b.hostname;
        this.spoolDirectory = b.spoolDirectory;
        this.spoolMemoryThreshold = b.spoolMemoryThreshold;
        this.resources = b.resources;
        this.occupancy = new Occupancy(b.resources);
        this.authenticator = b.authenticator;
        this.accepting = b.accepting;
    }

    /**
     * Whether the node takes new sessions at all: false once its runtime failed the self-check and
     * the policy refuses mail then. Checked before the connection caps.
     */
    public boolean accepting() {
        return accepting.getAsBoolean();
    }

    /** Starts building the flow of {@code policy}, relaying to {@code nextHop}. */
    public static Builder builder(Policy policy, NextHopClient nextHop) {
        return new Builder(policy, nextHop);
    }

    /**
     * Starts a session for a connection that passed the node's connection caps; the first call must
     * be {@link FlowSession#connect()}.
     */
    public FlowSession open(Connection connection) {
        return new FlowSession(this, connection);
    }

    /**
     * Refuses a connection before any policy is asked (the node's connection caps): writes the
     * connection's audit record with the hit {@code ruleId}.
     */
    public Answer refuse(Connection connection, Reply reply, String ruleId) {
        Hit hit = Hit.of(ruleId, Stage.CONNECT, reply.text());
        AuditVerdict verdict = reply.isTransient() ? AuditVerdict.DEFER : AuditVerdict.REFUSED;
        audit.record(
                connectionRecord(connection)
                        .verdict(verdict)
                        .hits(List.of(hit))
                        .reply(reply.line())
                        .build(clock.instant()));
        return new Answer(
                Stage.CONNECT,
                reply,
                true,
                new Decision(
                        Answer.refusing(Verdict.Reason.LIMIT, reply), List.of(hit), Score.ZERO),
                Optional.of(verdict));
    }

    AuditRecord.Builder connectionRecord(Connection connection) {
        return AuditRecord.builder(
                        AuditRecord.Kind.CONNECTION,
                        connection.sessionId(),
                        connection.client().getHostAddress(),
                        policy.digest())
                .balancer(connection.balancer().map(InetAddress::getHostAddress));
    }

    public Policy policy() {
        return policy;
    }

    /** The name in the banner, the HELO reply and the Received header. */
    public String hostname() {
        return hostname;
    }

    /** What the node lets its clients hold at once (site settings). */
    public Resources resources() {
        return resources;
    }

    /** Message octets held by the open transactions now (for the metrics and tests). */
    public long inFlightBytes() {
        return occupancy.inFlight();
    }

    Occupancy occupancy() {
        return occupancy;
    }

    /** Sender authentication and DNS lists, if this flow checks them. */
    public Optional<Authenticator> authenticator() {
        return authenticator;
    }

    RateLimiter limiter() {
        return limiter;
    }

    NextHopClient nextHop() {
        return nextHop;
    }

    AuditSink audit() {
        return audit;
    }

    Clock clock() {
        return clock;
    }

    long nanoTime() {
        return nanoTime.getAsLong();
    }

    Incoming incoming(Occupancy.Claim claim) {
        var limits = policy.limits();
        return new Incoming(
                limits.maxMessageSize(),
                limits.maxDataLine(),
                limits.maxHeaderBytes(),
                spoolDirectory,
                spoolMemoryThreshold,
                claim);
    }

    /** Builds a {@link Flow}; everything but the policy and the next hop has a default. */
    public static final class Builder {
        private final Policy policy;
        private final NextHopClient nextHop;
        private RateLimiter limiter;
        private AuditSink audit = AuditSink.NONE;
        private Clock clock = Clock.systemUTC();
        private LongSupplier nanoTime = System::nanoTime;
        private String hostname = "localhost";
        private Path spoolDirectory = Path.of(System.getProperty("java.io.tmpdir"));
        private long spoolMemoryThreshold = 1024 * 1024;
        private Resources resources = Resources.defaults();
        private Optional<Authenticator> authenticator = Optional.empty();
        private BooleanSupplier accepting = () -> true;

        private Builder(Policy policy, NextHopClient nextHop) {
            this.policy = Objects.requireNonNull(policy, "policy");
            this.nextHop = Objects.requireNonNull(nextHop, "nextHop");
        }

        /**
         * The rate limits to consume (the caller closes it); without one, none of the policy's rate
         * limits is enforced.
         */
        public Builder limiter(RateLimiter value) {
            limiter = Objects.requireNonNull(value);
            return this;
        }

        /** Where audit records go (default: nowhere). */
        public Builder audit(AuditSink value) {
            audit = Objects.requireNonNull(value);
            return this;
        }

        /** The clock for record times and the Received header (default: UTC system clock). */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value);
            return this;
        }

        /** The source of the durations in audit records (default: {@link System#nanoTime()}). */
        public Builder nanoTime(LongSupplier value) {
            nanoTime = Objects.requireNonNull(value);
            return this;
        }

        /** This node's name in the banner, HELO reply and Received header. */
        public Builder hostname(String value) {
            hostname = Objects.requireNonNull(value);
            return this;
        }

        /** Where messages past {@code memoryThreshold} octets are spilled. */
        public Builder spool(Path directory, long memoryThreshold) {
            spoolDirectory = Objects.requireNonNull(directory);
            spoolMemoryThreshold = memoryThreshold;
            return this;
        }

        /** What the node lets its clients hold at once (default {@link Resources#defaults()}). */
        public Builder resources(Resources value) {
            resources = Objects.requireNonNull(value);
            return this;
        }

        /**
         * Checks SPF, DKIM, DMARC and the policy's DNS lists, adds our Authentication-Results field
         * to relayed mail and removes forged ones (default: no checks, and then no authentication
         * matcher holds).
         */
        /** Whether new sessions are taken ({@link Flow#accepting()}); always, by default. */
        public Builder accepting(BooleanSupplier value) {
            accepting = java.util.Objects.requireNonNull(value, "accepting");
            return this;
        }

        public Builder authenticator(Authenticator value) {
            authenticator = Optional.of(value);
            return this;
        }

        public Flow build() {
            return new Flow(this);
        }
    }
}
