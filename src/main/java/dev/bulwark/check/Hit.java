package dev.bulwark.check;

import java.util.Objects;

/**
 * One rule or limit that fired: its id, where, what it matched, and whether it only records.
 *
 * @param ruleId the rule's id in the policy (or a limit's id)
 * @param stage the stage at which it fired
 * @param detail what matched, for the audit log and {@code bulwark check} (never sent to a client)
 * @param score the score the rule added (0 for rules without a score)
 * @param shadow {@code true} for a shadow rule: recorded, but its action was not taken
 */
public record Hit(String ruleId, Stage stage, String detail, double score, boolean shadow) {

    public Hit {
        Objects.requireNonNull(ruleId, "ruleId");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(detail, "detail");
    }
}
