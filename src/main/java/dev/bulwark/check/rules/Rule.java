package dev.bulwark.check.rules;

import dev.bulwark.check.Stage;

import java.util.Objects;

/**
 * One compiled rule.
 *
 * @param id unique in the policy; what audit records and hits name
 * @param stage where it runs
 * @param when its condition ({@link Condition.Always} when the source has none)
 * @param action what it does when the condition holds
 * @param shadow only record a hit, never act or score
 */
public record Rule(String id, Stage stage, Condition when, Action action, boolean shadow) {
    public Rule {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(when, "when");
        Objects.requireNonNull(action, "action");
    }
}
