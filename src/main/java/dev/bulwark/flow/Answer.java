package dev.bulwark.flow;

import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Hit;
import dev.bulwark.check.Score;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The flow's answer to one SMTP step: the reply to send, whether the session must close after it,
 * what was decided, and the audit verdict when the step ended a transaction, a connection or a
 * greeting with a record.
 *
 * @param stage the step
 * @param reply what the client is told
 * @param close the session ends after this reply (a 421)
 * @param decision what was decided at this step: the policy's verdict when the policy decided or
 *     had no objection, or the flow's own refusal (reason {@code RELAY_DENIED}, {@code LIMIT},
 *     {@code PROTOCOL}, {@code NEXT_HOP}, {@code CHECK_FAILED}); its hits are every rule and limit
 *     that fired at this step, shadow ones included; its score the running score after it
 * @param recorded the verdict of the audit record this step wrote, if it wrote one
 */
public record Answer(
        Stage stage,
        Reply reply,
        boolean close,
        Decision decision,
        Optional<AuditVerdict> recorded) {

    public Answer {
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(recorded, "recorded");
    }

    /**
     * A reply the policy was not asked about (the syntax or the size of a value): a refusal for
     * {@code PROTOCOL} reasons, or nothing decided.
     */
    static Answer of(Stage stage, Reply reply, Score score) {
        Verdict v = reply.isError() ? refusing(Verdict.Reason.PROTOCOL, reply) : Verdict.CONTINUE;
        return new Answer(
                stage,
                reply,
                reply.code() == 421,
                new Decision(v, List.of(), score),
                Optional.empty());
    }

    /** The verdict of a refusal with {@code reply}: a defer for 4xx, a reject for 5xx. */
    static Verdict refusing(Verdict.Reason reason, Reply reply) {
        return reply.isTransient()
                ? new Verdict.Defer(reason, Optional.empty())
                : new Verdict.Reject(reason, Optional.empty());
    }

    public Verdict verdict() {
        return decision.verdict();
    }

    public List<Hit> hits() {
        return decision.hits();
    }

    public Score score() {
        return decision.score();
    }

    /** The client was refused (4xx or 5xx). */
    public boolean refused() {
        return reply.isError();
    }
}
