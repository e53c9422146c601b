package dev.bulwark.policy;

/**
 * A part of the policy as the read pass found it ({@link PolicyReader}): a record of typed values
 * that keep their positions, checked by {@link PolicyChecker}, lowered by {@link Lowering}, and
 * rendering its own canonical form (ADR 0004). The canonical form of the whole policy is {@link
 * PolicyDecl#canonical}.
 */
sealed interface Declaration
        permits LimitsDecl,
                IntegrityDecl,
                ClassifierDecl,
                ThresholdsDecl,
                TagDecl,
                RuleDecl,
                RuleDecl.Effect,
                CondDecl,
                OperandDecl,
                RateLimitDecl,
                RateLimitDecl.Prefix {

    /**
     * The canonical form of this part: a tree of maps (in key order), lists, strings, booleans and
     * numbers for {@link dev.bulwark.json.JsonWriter}. Called only on a policy without errors.
     */
    Object canonical();
}
