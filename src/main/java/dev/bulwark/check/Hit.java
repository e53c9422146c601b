package dev.bulwark.check;

import java.util.Objects;

/**
 * One rule or limit that fired: its id, where, what it matched, and whether it only records.
 *
 * @param ruleId the rule's id in the policy, or a reserved id ({@link ReservedIds})
 * @param stage the stage at which it fired
 * @param detail what matched, for the audit log and {@code bulwark check} (never sent to a client)
 * @param score the score the rule added ({@link Score#ZERO} for rules without a score)
 * @param shadow {@code true} for a shadow rule: recorded, but its action was not taken
 */
public record Hit(String ruleId, Stage stage, String detail, Score score, boolean shadow) {

    public Hit {
        Objects.requireNonNull(ruleId, "ruleId");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(score, "score");
    }

    /** A hit that acted and added no score: a refusal by a limit, the relay domains, an error. */
    public static Hit of(String ruleId, Stage stage, String detail) {
        return new Hit(ruleId, stage, detail, Score.ZERO, false);
    }
}
