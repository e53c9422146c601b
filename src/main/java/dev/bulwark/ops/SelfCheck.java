package dev.bulwark.ops;

import dev.bulwark.audit.AuditChain;
import dev.bulwark.check.IntegritySettings;
import dev.bulwark.runtime.SelfVerification;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's self-verification while it serves (ADR 0018): each {@link #run()} pass checks the
 * runtime, writes an {@code integrity} line to the audit chain (every pass, so the trail shows the
 * checks ran, not only that one failed), and logs a mismatch. From the first mismatch on, {@link
 * #problem()} fails readiness naming the file and, when the policy says {@code refuse-mail}, {@link
 * #accepting()} turns new sessions away.
 */
public final class SelfCheck {

    private static final Logger log = LoggerFactory.getLogger(SelfCheck.class);

    private final SelfVerification verification;
    private final IntegritySettings settings;
    private final AuditChain chain;
    private final Instant startCheckedAt;
    private final AtomicLong recordedPass = new AtomicLong();

    /**
     * @param startCheckedAt when the check before serving passed (the last check until a pass)
     */
    public SelfCheck(
            SelfVerification verification,
            IntegritySettings settings,
            AuditChain chain,
            Instant startCheckedAt) {
        this.verification = verification;
        this.settings = settings;
        this.chain = chain;
        this.startCheckedAt = startCheckedAt;
    }

    /** One pass (or the result of the one running), recorded in the audit chain once. */
    public SelfVerification.Status run() {
        SelfVerification.Status s = verification.verifyNow();
        long pass = s.pass();
        if (recordedPass.getAndAccumulate(pass, Math::max) < pass) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("result", s.ok() ? "match" : "mismatch");
            m.put("pass", Long.toString(pass));
            m.put("files", Integer.toString(s.files()));
            m.put("problems", Integer.toString(s.problems()));
            s.problem().ifPresent(p -> m.put("problem", p));
            m.put("on_mismatch", settings.onMismatch().key());
            m.put("cpu_ms", Long.toString(s.cpu().toMillis()));
            m.put("elapsed_ms", Long.toString(s.elapsed().toMillis()));
            chain.event("integrity", m);
            if (s.ok()) {
                log.debug(
                        "runtime check {}: every file matches ({} ms CPU)",
                        pass,
                        s.cpu().toMillis());
            } else {
                log.error(
                        "runtime check {}: {} difference(s) from the manifest, first: {}; {}",
                        pass,
                        s.problems(),
                        s.problem().orElse("?"),
                        settings.onMismatch() == IntegritySettings.OnMismatch.REFUSE_MAIL
                                ? "refusing new sessions until the node is replaced or restarted"
                                : "mail flows on (on-mismatch: report)");
            }
        }
        return s;
    }

    /** A pass for {@code POST /verify}: ready when every file matched this time. */
    public Readiness.Status verifyForOps() {
        SelfVerification.Status s = run();
        return s.ok()
                ? new Readiness.Status(true, Optional.empty())
                : new Readiness.Status(false, s.problem());
    }

    /** Why the node must not be ready: the first mismatch of this run, with the file named. */
    public Optional<String> problem() {
        return verification
                .firstMismatch()
                .map(
                        s ->
                                "a runtime file differs from the manifest: "
                                        + s.problem().orElse("?")
                                        + " (found at "
                                        + s.checkedAt()
                                        + "; replace or restart the node)");
    }

    /** Whether new sessions are taken: not after a mismatch when the policy refuses mail then. */
    public boolean accepting() {
        return settings.onMismatch() == IntegritySettings.OnMismatch.REPORT
                || verification.firstMismatch().isEmpty();
    }

    /** Exports the metrics of the checks. */
    public void register(Metrics metrics) {
        metrics.integrity(
                () -> verification.firstMismatch().isEmpty(),
                () ->
                        verification
                                        .last()
                                        .map(SelfVerification.Status::checkedAt)
                                        .orElse(startCheckedAt)
                                        .toEpochMilli()
                                / 1000.0,
                () -> verification.last().map(s -> s.cpu().toNanos() / 1e9).orElse(0.0),
                () -> verification.last().map(SelfVerification.Status::pass).orElse(0L));
    }
}
