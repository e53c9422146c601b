package dev.bulwark.flow;

import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Hit;
import dev.bulwark.check.ReservedIds;
import dev.bulwark.check.Score;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** How the flow reads a decision: as a reply, an audit verdict, or its own refusal. */
final class Decisions {

    private Decisions() {}

    /** A policy verdict that refuses at the stage where it was given, as a reply. */
    static Optional<Reply> refusal(Stage stage, Verdict v) {
        return switch (v) {
            case Verdict.Reject r -> Optional.of(Replies.refusal(stage, r));
            case Verdict.Defer d -> Optional.of(Replies.deferral(stage, d));
            default -> Optional.empty();
        };
    }

    static boolean isRefusal(Verdict v) {
        return v instanceof Verdict.Reject || v instanceof Verdict.Defer;
    }

    /** The audit verdict of a refusal (or an acceptance) given with {@code reply}. */
    static AuditVerdict verdictOf(Reply reply) {
        if (reply.code() < 400) {
            return AuditVerdict.ACCEPT;
        }
        if (reply.code() < 500) {
            return reply.equals(Replies.CHECK_FAILED) ? AuditVerdict.TEMPFAIL : AuditVerdict.DEFER;
        }
        return AuditVerdict.REJECT;
    }

    /** {@code d} with more hits of the same step. */
    static Decision with(Decision d, List<Hit> more) {
        if (more.isEmpty()) {
            return d;
        }
        List<Hit> all = new ArrayList<>(d.hits());
        all.addAll(more);
        return new Decision(d.verdict(), all, d.score(), d.classifier());
    }

    /**
     * The flow's own refusal after the policy's decision {@code d}, with the step's hits and the
     * policy's running score. A failing check is reported as such, whatever refused.
     */
    static Decision refusedBy(Verdict.Reason reason, Reply reply, Decision d, List<Hit> more) {
        if (reason != Verdict.Reason.NEXT_HOP && reply.equals(Replies.CHECK_FAILED)) {
            reason = Verdict.Reason.CHECK_FAILED;
        }
        return new Decision(Answer.refusing(reason, reply), with(d, more).hits(), d.score());
    }

    /** The hit of a check that failed unexpectedly. */
    static Hit internalError(Stage stage, RuntimeException e) {
        return Hit.of(
                ReservedIds.INTERNAL_ERROR,
                stage,
                e.getClass().getSimpleName() + ": " + e.getMessage());
    }

    /** A check failed unexpectedly: a temporary refusal, never an accept (fail closed). */
    static Decision failed(Stage stage, RuntimeException e, Score score) {
        return new Decision(
                new Verdict.Defer(Verdict.Reason.CHECK_FAILED, Optional.empty()),
                List.of(internalError(stage, e)),
                score);
    }
}
