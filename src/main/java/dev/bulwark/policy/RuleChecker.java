package dev.bulwark.policy;

import dev.bulwark.check.Stage;
import dev.bulwark.json.JsonWriter;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The check pass for rules: ids, the operands of conditions (a matcher used before its stage was
 * refused by {@link RuleReader}), effects; then the analysis of the rules that are valid:
 * unreachable rules, and thresholds no score can reach.
 */
final class RuleChecker {

    private final PolicyChecker policy;
    private final Problems problems;

    /** The valid rules of each stage, in order. */
    private final Map<Stage, List<RuleDecl>> valid = new EnumMap<>(Stage.class);

    private final List<Pos> scoreUses = new ArrayList<>();

    RuleChecker(PolicyChecker policy) {
        this.policy = policy;
        this.problems = policy.problems();
        for (Stage s : Stage.values()) {
            valid.put(s, new ArrayList<>());
        }
    }

    void check(PolicyDecl.StageRules rules) {
        Stage stage = rules.stage().value();
        for (RuleDecl r : rules.rules()) {
            if (check(r)) {
                valid.get(stage).add(r);
            }
        }
    }

    private boolean check(RuleDecl rule) {
        boolean ok = rule.complete();
        if (rule.id().isPresent()) {
            Located<String> id = rule.id().get();
            if (!Language.validName(id.value())) {
                problems.error(
                        id.pos(),
                        "rule id '"
                                + id.value()
                                + "' must be lower-case letters, digits, '-', '_' or '.'");
                ok = false;
            } else {
                policy.claimId(id);
            }
        }
        if (rule.when().isPresent()) {
            ok &= condition(rule.when().get());
        }
        if (rule.effect().isPresent()) {
            ok &= effect(rule.effect().get());
        }
        if (rule.when().isPresent()
                && rule.effect().orElse(null) instanceof RuleDecl.Act a
                && a.action().value().equals("reject")) {
            ok &= noTemperror(rule.when().get(), false);
        }
        return ok;
    }

    /**
     * DNS trouble is never a reason to refuse mail for good (ADR 0013): a rejecting rule may not
     * hold because a check gave temperror. Under {@code not}, the word is a reason not to reject.
     */
    private boolean noTemperror(CondDecl c, boolean negated) {
        return switch (c) {
            case CondDecl.All a -> a.all().stream().allMatch(x -> noTemperror(x, negated));
            case CondDecl.Any a -> a.any().stream().allMatch(x -> noTemperror(x, negated));
            case CondDecl.Not n -> noTemperror(n.not(), !negated);
            case CondDecl.Match m -> {
                if (!negated
                        && m.operand() instanceof OperandDecl.AuthResults r
                        && r.results().stream().anyMatch(w -> w.value().equals("temperror"))) {
                    Located<String> w =
                            r.results().stream()
                                    .filter(x -> x.value().equals("temperror"))
                                    .findFirst()
                                    .orElseThrow();
                    problems.error(
                            w.pos(),
                            "'"
                                    + m.matcher().name()
                                    + ": temperror' in a rule that rejects: DNS trouble must"
                                    + " never refuse mail with a 5xx (use defer or a score)");
                    yield false;
                }
                yield true;
            }
        };
    }

    /** Checks every part (so that every problem is reported); whether all are valid. */
    private boolean condition(CondDecl c) {
        return switch (c) {
            case CondDecl.All a -> all(a.all());
            case CondDecl.Any a -> all(a.any());
            case CondDecl.Not n -> condition(n.not());
            case CondDecl.Match m -> match(m);
        };
    }

    private boolean all(List<CondDecl> parts) {
        boolean ok = true;
        for (CondDecl p : parts) {
            ok &= condition(p);
        }
        return ok;
    }

    private boolean match(CondDecl.Match m) {
        MatcherRow<?, ?> row = m.matcher();
        Optional<Object> value = row.check(m.operand(), policy.operandChecks());
        value.ifPresent(v -> policy.checked(m.operand(), v));
        return value.isPresent();
    }

    private boolean effect(RuleDecl.Effect effect) {
        return switch (effect) {
            case RuleDecl.Score s -> {
                BigDecimal points = s.score().value();
                Pos pos = s.score().pos();
                scoreUses.add(pos);
                if (points.signum() == 0) {
                    problems.warning(pos, "score 0 has no effect");
                }
                if (points.abs().compareTo(BigDecimal.valueOf(1000)) > 0) {
                    problems.error(
                            pos,
                            JsonWriter.number(points)
                                    + " is not a valid score: it must be between -1000 and 1000");
                    yield false;
                }
                yield true;
            }
            case RuleDecl.Act a -> {
                boolean ok = true;
                if (a.reply().isPresent()) {
                    Located<String> r = a.reply().get();
                    ok = policy.printable(r.value(), r.pos(), "'reply'", 200);
                }
                if (a.tag().isPresent()) {
                    ok &= policy.tag(a.tag().get());
                }
                if (a.action().value().equals("quarantine")) {
                    policy.quarantineUse(a.action().pos());
                }
                yield ok;
            }
        };
    }

    // ---- analysis ------------------------------------------------------------------------------

    /** The analyses over the valid rules, given the valid thresholds and where they are. */
    void analyse(Optional<Pos> thresholdsAt, Map<String, BigDecimal> thresholds) {
        analyseThresholds(thresholdsAt, thresholds);
        analyseReachability();
    }

    private void analyseThresholds(Optional<Pos> at, Map<String, BigDecimal> thresholds) {
        boolean anyThreshold = !thresholds.isEmpty();
        if (anyThreshold && scoreUses.isEmpty()) {
            problems.warning(at.orElseThrow(), "thresholds are set but no rule has a score");
        }
        if (!anyThreshold && !scoreUses.isEmpty()) {
            problems.warning(
                    scoreUses.get(0), "rules score but no threshold is set: scores decide nothing");
        }
        if (anyThreshold && !scoreUses.isEmpty()) {
            double max = 0;
            for (List<RuleDecl> rs : valid.values()) {
                for (RuleDecl r : rs) {
                    if (!r.isShadow()
                            && r.effect().orElseThrow() instanceof RuleDecl.Score s
                            && s.score().value().doubleValue() > 0) {
                        max += s.score().value().doubleValue();
                    }
                }
            }
            double lowest = thresholds.values().stream().findFirst().orElseThrow().doubleValue();
            if (max < lowest) {
                problems.warning(
                        at.orElseThrow(),
                        "the positive scores of all rules add up to "
                                + Values.score(max)
                                + ", below the lowest threshold: no threshold can ever be reached");
            }
        }
    }

    /** Rules after one that always ends evaluation can never run. */
    private void analyseReachability() {
        RuleDecl blocker = null;
        for (List<RuleDecl> rs : valid.values()) {
            for (RuleDecl r : rs) {
                if (blocker != null) {
                    problems.error(
                            r.pos(),
                            "rule '"
                                    + r.idOrUnknown()
                                    + "' can never run: rule '"
                                    + blocker.idOrUnknown()
                                    + "' ("
                                    + blocker.pos().relativeTo(r.pos())
                                    + ") always ends evaluation before it");
                    continue;
                }
                if (!r.isShadow() && r.when().isEmpty() && r.effect().orElseThrow().terminal()) {
                    blocker = r;
                }
            }
        }
    }
}
