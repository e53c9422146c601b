package dev.bulwark.ops;

import dev.bulwark.audit.AuditChain;
import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.AuditSink;
import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.auth.Authentication;
import dev.bulwark.auth.DkimResult;
import dev.bulwark.auth.DmarcResult;
import dev.bulwark.auth.ListResult;
import dev.bulwark.auth.SpfResult;
import dev.bulwark.check.ReservedIds;
import dev.bulwark.dns.CachingResolver;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The node's Prometheus metrics. Fed by the audit records (as an {@link AuditSink}) and by the SMTP
 * layer's session starts and ends (as a {@link ConnectionListener}); rendered by {@link #scrape}.
 *
 * <p>Label values are bounded: verdicts and next-hop stages are fixed sets, reply codes are three
 * digits, and rule ids come from the compiled policy (a finite list) or the catalogue of reserved
 * ids ({@link ReservedIds}). As a safety net each rule label stops taking new values past {@value
 * #MAX_RULE_IDS}.
 */
public final class Metrics implements AuditSink, ConnectionListener {

    private static final Logger log = LoggerFactory.getLogger(Metrics.class);

    /** The Prometheus text exposition format, version 0.0.4. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    static final int MAX_RULE_IDS = 2000;

    /** The verdicts of transaction records ({@link AuditVerdict}), each exported from the start. */
    static final List<String> VERDICTS =
            Arrays.stream(AuditVerdict.values()).map(AuditVerdict::key).toList();

    /** No rule fired: the refusal came from the next hop, a timeout or the protocol itself. */
    static final String NO_RULE = "none";

    private static final Duration[] LATENCY_BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
                Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(30),
        Duration.ofSeconds(60),
    };

    private final PrometheusMeterRegistry registry;
    private final AtomicInteger active = new AtomicInteger();
    private final Counter connections;
    private final Counter connectionsRefused;
    private final Timer nextHopLatency;

    private Metrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
        this.connections =
                Counter.builder("bulwark.connections")
                        .description(
                                "SMTP sessions started (connections that passed the gatekeeper)")
                        .register(registry);
        Gauge.builder("bulwark.connections.active", active, AtomicInteger::get)
                .description("SMTP sessions open now")
                .strongReference(true)
                .register(registry);
        this.connectionsRefused =
                Counter.builder("bulwark.connections.refused")
                        .description(
                                "Connections refused before the banner (caps, connect-stage rules)")
                        .register(registry);
        this.nextHopLatency =
                Timer.builder("bulwark.next.hop.latency")
                        .description(
                                "Time from the start of DATA at the next hop to its final reply")
                        .serviceLevelObjectives(LATENCY_BUCKETS)
                        .register(registry);
        for (String verdict : VERDICTS) {
            transactions(verdict); // every verdict is visible from the start, at 0
        }
    }

    /**
     * Creates the metrics of one node.
     *
     * @param version what the node runs, exported as {@code bulwark_build_info}
     * @param rateLimitBackendUp whether rate limits are kept where the policy wants them: the fleet
     *     backend answers (or the embedded in-process buckets are the configured backend); false
     *     while the node has fallen back to local buckets
     */
    public static Metrics create(VersionInfo version, BooleanSupplier rateLimitBackendUp) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        for (String name :
                List.of("bulwark.refusals", "bulwark.rate.limit.refusals", "bulwark.shadow.hits")) {
            String tag = name.equals("bulwark.rate.limit.refusals") ? "limit" : "rule";
            registry.config()
                    .meterFilter(
                            MeterFilter.maximumAllowableTags(
                                    name, tag, MAX_RULE_IDS, MeterFilter.deny()));
        }
        // Micrometer holds a gauge's state object only weakly unless told otherwise: a state object
        // nothing else references, such as the probe lambda the node passes in, is collected and
        // the gauge reads NaN from then on. Every gauge here is held strongly.
        Gauge.builder("bulwark.build.info", () -> 1)
                .description("What this node runs; the value is always 1")
                .tag("version", version.version())
                .tag("commit", version.commit())
                .tag("policy_digest", version.policyDigest())
                .strongReference(true)
                .register(registry);
        Gauge.builder(
                        "bulwark.rate.limit.backend.up",
                        rateLimitBackendUp,
                        s -> s.getAsBoolean() ? 1 : 0)
                .description(
                        "1 while the configured rate-limit backend is in use, 0 while falling back"
                                + " to local buckets")
                .strongReference(true)
                .register(registry);
        return new Metrics(registry);
    }

    @Override
    public void opened() {
        connections.increment();
        active.incrementAndGet();
    }

    @Override
    public void closed() {
        active.decrementAndGet();
    }

    /** Counts one audit record. Never throws: metrics must not disturb mail flow. */
    @Override
    public void record(AuditRecord r) {
        try {
            count(r);
        } catch (RuntimeException e) {
            log.warn("audit record of session {} not counted in metrics", r.sessionId(), e);
        }
    }

    private void count(AuditRecord r) {
        Set<String> attributed = new HashSet<>();
        if (r.kind() == AuditRecord.Kind.TRANSACTION) {
            transactions(r.verdict().key()).increment();
            for (AuditRecord.RecipientOutcome o : r.recipients()) {
                if (!o.accepted()) {
                    refusal(o.rules(), replyCode(o.reply()));
                    attributed.addAll(o.rules());
                }
            }
        }
        String code = replyCode(r.reply());
        if (isError(code)) {
            if (r.kind() == AuditRecord.Kind.CONNECTION) {
                connectionsRefused.increment();
            }
            // Rules already counted against a refused recipient did not cause the final refusal.
            refusal(r.rules().stream().filter(id -> !attributed.contains(id)).toList(), code);
        }
        for (String id : r.shadowRules()) {
            Counter.builder("bulwark.shadow.hits")
                    .description("Shadow rules that fired (recorded only, not acted on)")
                    .tag("rule", id)
                    .register(registry)
                    .increment();
        }
        r.authentication().ifPresent(this::dnsTrouble);
        r.nextHop()
                .ifPresent(
                        hop -> {
                            hop.delivery().ifPresent(nextHopLatency::record);
                            if (!hop.positive()) {
                                String kind =
                                        !hop.answered()
                                                ? "unreachable"
                                                : hop.code() >= 500 ? "permanent" : "transient";
                                Counter.builder("bulwark.next.hop.errors")
                                        .description(
                                                "Final next-hop answers that were not positive, or"
                                                        + " never came")
                                        .tag("stage", hop.stage().key())
                                        .tag("kind", kind)
                                        .register(registry)
                                        .increment();
                            }
                        });
    }

    /** Counts the temperrors of a transaction's checks: DNS that timed out or failed. */
    private void dnsTrouble(Authentication a) {
        a.mailFrom()
                .filter(s -> s.result() == SpfResult.Result.TEMPERROR)
                .ifPresent(s -> temperror("spf"));
        a.dkim().stream()
                .filter(d -> d.result() == DkimResult.Result.TEMPERROR)
                .forEach(d -> temperror("dkim"));
        a.dmarc()
                .filter(d -> d.result() == DmarcResult.Result.TEMPERROR)
                .ifPresent(d -> temperror("dmarc"));
        a.clientLists().stream()
                .filter(l -> l.status() == ListResult.Status.TEMPERROR)
                .forEach(l -> temperror("dnsbl"));
        a.uriLists().stream()
                .filter(l -> l.status() == ListResult.Status.TEMPERROR)
                .forEach(l -> temperror("uribl"));
    }

    private void temperror(String check) {
        Counter.builder("bulwark.dns.temperrors")
                .description(
                        "Authentication and DNS list results that were temperror (DNS timed out"
                                + " or failed; mail flowed on), by check")
                .tag("check", check)
                .register(registry)
                .increment();
    }

    /**
     * Exports the DNS cache's hits and misses ({@code bulwark_dns_cache_hits_total}, {@code
     * bulwark_dns_cache_misses_total}).
     */
    /**
     * The node's in-flight message octets (declared SIZE or received so far) beside its budget: at
     * the budget new transactions get 451 4.3.1 (ADR 0016).
     */
    public void inFlight(LongSupplier octets, long budget) {
        Gauge.builder("bulwark.in.flight.bytes", octets, LongSupplier::getAsLong)
                .description("Message octets the node holds now, declared or received")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        Gauge.builder("bulwark.in.flight.budget.bytes", () -> budget)
                .description("The node's in-flight budget (node.in-flight-mib)")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
    }

    public void dnsCache(CachingResolver cache) {
        FunctionCounter.builder("bulwark.dns.cache.hits", cache, CachingResolver::hits)
                .description("DNS questions answered from the node's cache")
                .register(registry);
        FunctionCounter.builder("bulwark.dns.cache.misses", cache, CachingResolver::misses)
                .description("DNS questions sent to the resolvers")
                .register(registry);
    }

    /**
     * Exports the audit chain's head, so that a collector can anchor it away from the node: {@code
     * bulwark_audit_chain_records} (lines in the chain) and {@code
     * bulwark_audit_chain_head_info{head="<sha256>"} 1}, the hash of the last line as a label of an
     * info metric (one series, whose label changes with every record).
     */
    public void auditChain(Supplier<AuditChain.Head> head) {
        Gauge.builder("bulwark.audit.chain.records", head, h -> h.get().records())
                .description("Lines in this run's audit chain, the genesis line included")
                .strongReference(true)
                .register(registry);
        registry.getPrometheusRegistry()
                .register(
                        () ->
                                InfoSnapshot.builder()
                                        .name("bulwark_audit_chain_head")
                                        .help(
                                                "The SHA-256 of the last line of this run's audit"
                                                        + " chain, in the head label")
                                        .dataPoint(
                                                InfoSnapshot.InfoDataPointSnapshot.builder()
                                                        .labels(
                                                                Labels.of(
                                                                        "head", head.get().hash()))
                                                        .build())
                                        .build());
    }

    /**
     * Exports the runtime's self-verification while serving: {@code bulwark_runtime_integrity_ok}
     * (1 while every pass so far matched, 0 from the first mismatch on), {@code
     * bulwark_runtime_integrity_last_check_seconds} (when the last pass ended, Unix time; the start
     * check's time before the first), {@code bulwark_runtime_integrity_last_cpu_seconds} (what the
     * last pass cost) and {@code bulwark_runtime_integrity_passes}.
     */
    public void integrity(
            BooleanSupplier ok,
            DoubleSupplier lastCheckEpochSeconds,
            DoubleSupplier lastCpuSeconds,
            DoubleSupplier passes) {
        Gauge.builder("bulwark.runtime.integrity.ok", ok, s -> s.getAsBoolean() ? 1 : 0)
                .description(
                        "1 while the runtime's files match the manifest, 0 once a pass found a"
                                + " difference")
                .strongReference(true)
                .register(registry);
        Gauge.builder(
                        "bulwark.runtime.integrity.last.check.seconds",
                        lastCheckEpochSeconds,
                        DoubleSupplier::getAsDouble)
                .description("When the last check of the runtime ended, in Unix time")
                .strongReference(true)
                .register(registry);
        Gauge.builder(
                        "bulwark.runtime.integrity.last.cpu.seconds",
                        lastCpuSeconds,
                        DoubleSupplier::getAsDouble)
                .description("CPU time the last check of the runtime took")
                .strongReference(true)
                .register(registry);
        Gauge.builder("bulwark.runtime.integrity.passes", passes, DoubleSupplier::getAsDouble)
                .description("Checks of the runtime since start, the start check excluded")
                .strongReference(true)
                .register(registry);
    }

    private Counter transactions(String verdict) {
        return Counter.builder("bulwark.transactions")
                .description("Mail transactions by verdict")
                .tag("verdict", verdict)
                .register(registry);
    }

    private void refusal(List<String> rules, String code) {
        if (!isError(code)) {
            return;
        }
        for (String id : rules.isEmpty() ? List.of(NO_RULE) : rules) {
            Counter.builder("bulwark.refusals")
                    .description(
                            "4xx/5xx replies that refused a connection, sender, recipient or"
                                    + " message, by rule and code")
                    .tag("rule", id)
                    .tag("code", code)
                    .register(registry)
                    .increment();
            if (ReservedIds.isLimit(id)) {
                Counter.builder("bulwark.rate.limit.refusals")
                        .description("Refusals caused by a limit (connection caps and rate limits)")
                        .tag("limit", id)
                        .register(registry)
                        .increment();
            }
        }
    }

    /** The three-digit code at the start of a reply line, or "" if there is none. */
    static String replyCode(String reply) {
        if (reply.length() < 3) {
            return "";
        }
        for (int i = 0; i < 3; i++) {
            if (reply.charAt(i) < '0' || reply.charAt(i) > '9') {
                return "";
            }
        }
        if (reply.length() > 3 && reply.charAt(3) != ' ' && reply.charAt(3) != '-') {
            return "";
        }
        return reply.substring(0, 3);
    }

    private static boolean isError(String code) {
        return !code.isEmpty() && (code.charAt(0) == '4' || code.charAt(0) == '5');
    }

    /** Writes every metric in the Prometheus text format ({@link #CONTENT_TYPE}). */
    public void scrape(OutputStream out) throws IOException {
        registry.scrape(out);
    }

    /** Every metric in the Prometheus text format, as a string. */
    public String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            scrape(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
