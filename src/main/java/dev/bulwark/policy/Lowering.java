package dev.bulwark.policy;

import dev.bulwark.check.Limits;
import dev.bulwark.check.RelayDomains;
import dev.bulwark.check.Stage;
import dev.bulwark.check.rules.Action;
import dev.bulwark.check.rules.Condition;
import dev.bulwark.check.rules.Rule;
import dev.bulwark.check.rules.RuleSet;
import dev.bulwark.classifier.Classifier;
import dev.bulwark.ratelimit.LimitSpec;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The lowering pass: checked declarations to what runs: the {@link RuleSet} (conditions built by
 * the matcher table's factories), protocol limits, rate-limit specs, relay domains and the
 * quarantine mailbox. Runs only on a policy without errors.
 */
final class Lowering {

    /** What the runtime takes from a compiled policy. */
    record Lowered(
            RuleSet rules,
            Limits limits,
            RelayDomains relayDomains,
            List<String> relayEntries,
            List<LimitSpec> rateLimits) {}

    private final Checked checked;
    private final Optional<Classifier> classifier;

    /** The policy-wide tag: for thresholds, and for tag rules without settings of their own. */
    private final TagDecl tag;

    private Lowering(Checked checked, TagDecl tag, Optional<Classifier> classifier) {
        this.checked = checked;
        this.tag = tag;
        this.classifier = classifier;
    }

    static Lowered lower(PolicyDecl d, Checked checked) {
        return lower(d, checked, Optional.empty());
    }

    /** Lowers a policy with the classifier its training pass gave. */
    static Lowered lower(PolicyDecl d, Checked checked, Optional<Classifier> classifier) {
        return new Lowering(checked, d.tag().orElse(TagDecl.DEFAULT), classifier).policy(d);
    }

    private Lowered policy(PolicyDecl d) {
        Map<Stage, List<Rule>> rules = new EnumMap<>(Stage.class);
        for (PolicyDecl.StageRules sr : d.rules()) {
            Stage stage = sr.stage().value();
            List<Rule> out = rules.computeIfAbsent(stage, s -> new ArrayList<>());
            for (RuleDecl r : sr.rules()) {
                out.add(rule(r, stage));
            }
        }
        Optional<ThresholdsDecl> th = d.thresholds();
        RuleSet.Thresholds thresholds =
                new RuleSet.Thresholds(
                        score(th.flatMap(ThresholdsDecl::tag)),
                        score(th.flatMap(ThresholdsDecl::quarantine)),
                        score(th.flatMap(ThresholdsDecl::reject)));
        RuleSet ruleSet =
                new RuleSet(rules, thresholds, tag.spec(), d.quarantineMailbox(), classifier);
        List<String> relay =
                d.relayDomains()
                        .map(r -> ((ListOperands.Listed) checked.value(r)).entries())
                        .orElse(List.of());
        return new Lowered(
                ruleSet,
                d.limits().limits(),
                RelayDomains.of(relay),
                relay,
                d.rateLimits().stream().map(RateLimitDecl::spec).toList());
    }

    private static OptionalDouble score(Optional<Located<BigDecimal>> v) {
        return v.map(l -> OptionalDouble.of(l.value().doubleValue()))
                .orElse(OptionalDouble.empty());
    }

    private Rule rule(RuleDecl r, Stage stage) {
        Condition when = r.when().map(this::condition).orElse(new Condition.Always());
        return new Rule(
                r.id().orElseThrow().value(),
                stage,
                when,
                action(r.effect().orElseThrow()),
                r.isShadow());
    }

    private Condition condition(CondDecl c) {
        return switch (c) {
            case CondDecl.All a ->
                    new Condition.All(a.all().stream().map(this::condition).toList());
            case CondDecl.Any a ->
                    new Condition.Any(a.any().stream().map(this::condition).toList());
            case CondDecl.Not n -> new Condition.Not(condition(n.not()));
            case CondDecl.Match m -> m.matcher().lower(checked.value(m.operand()));
        };
    }

    private Action action(RuleDecl.Effect e) {
        return switch (e) {
            case RuleDecl.Score s -> new Action.Score(s.score().value().doubleValue());
            case RuleDecl.Act a -> {
                Optional<String> reply = a.reply().map(Located::value);
                yield switch (a.action().value()) {
                    case "accept" -> new Action.Accept();
                    case "reject" -> new Action.Reject(reply);
                    case "defer" -> new Action.Defer(reply);
                    case "discard" -> new Action.Discard();
                    case "quarantine" -> new Action.Quarantine();
                    case "tag" -> new Action.Tag(a.tag().orElse(tag).spec());
                    default -> throw new IllegalStateException("unchecked action " + a.action());
                };
            }
        };
    }
}
