package dev.bulwark.check.rules;

import dev.bulwark.check.Hit;
import dev.bulwark.check.Score;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Runs the rules of one stage of a {@link RuleSet} over a session's {@link Facts}, for {@link
 * RuleEvaluation}: which rules fired and why, what they scored and tagged, and the terminal action
 * that stopped the stage, if one did.
 */
final class RuleRunner {

    private final RuleSet set;
    private final Facts facts;
    private final StringBuilder why = new StringBuilder();

    RuleRunner(RuleSet set, Facts facts) {
        this.set = set;
        this.facts = facts;
    }

    /** Score, tags and fired rule ids contributed by one part of the session. */
    static final class Part {
        double score;
        final List<Action.TagSpec> tags = new ArrayList<>();
        final List<String> fired = new ArrayList<>();

        void clear() {
            score = 0;
            tags.clear();
            fired.clear();
        }

        void add(Firing f) {
            score += f.score();
            tags.addAll(f.tags());
            fired.addAll(f.fired());
        }
    }

    /** What the rules of one stage did. */
    record Firing(
            List<Hit> hits,
            Optional<Action> terminal,
            double score,
            List<Action.TagSpec> tags,
            List<String> fired,
            List<String> scored) {

        /** The verdict of a terminal reject or defer, which answers at the stage where it fired. */
        Optional<Verdict> refusal() {
            return switch (terminal.orElse(null)) {
                case Action.Reject r ->
                        Optional.of(new Verdict.Reject(Verdict.Reason.POLICY, r.reply()));
                case Action.Defer d ->
                        Optional.of(new Verdict.Defer(Verdict.Reason.POLICY, d.reply()));
                case null, default -> Optional.empty();
            };
        }

        /** Whether a terminal accept allowlists. */
        boolean accepts() {
            return terminal.orElse(null) instanceof Action.Accept;
        }
    }

    /**
     * Runs the rules of {@code stage} in order until a terminal action; {@code scoredOnce} holds
     * the rules that already added their score in this transaction.
     */
    Firing run(Set<String> scoredOnce, Stage stage) {
        List<Hit> hits = new ArrayList<>(2);
        List<Action.TagSpec> tags = new ArrayList<>(0);
        List<String> fired = new ArrayList<>(2);
        List<String> scored = new ArrayList<>(2);
        double score = 0;
        for (Rule rule : set.rules(stage)) {
            why.setLength(0);
            if (!rule.when().test(facts, why)) {
                continue;
            }
            String detail = why.toString();
            Action action = rule.action();
            if (rule.shadow()) {
                double would = action instanceof Action.Score s ? s.points() : 0;
                hits.add(new Hit(rule.id(), stage, detail, Score.of(would), true));
                continue;
            }
            fired.add(rule.id());
            switch (action) {
                case Action.Score s -> {
                    double points = scoredOnce.contains(rule.id()) ? 0 : s.points();
                    score += points;
                    scored.add(rule.id());
                    hits.add(new Hit(rule.id(), stage, detail, Score.of(points), false));
                }
                case Action.Tag t -> {
                    tags.add(t.tag());
                    hits.add(Hit.of(rule.id(), stage, detail));
                }
                default -> {
                    hits.add(Hit.of(rule.id(), stage, detail));
                    return new Firing(hits, Optional.of(action), score, tags, fired, scored);
                }
            }
        }
        return new Firing(hits, Optional.empty(), score, tags, fired, scored);
    }

    /**
     * The tag verdict: headers merged (first one of a name wins) with {@code {score}} and {@code
     * {rules}} filled in, and the first subject prefix.
     */
    static Verdict.Tag tag(List<Action.TagSpec> tags, double total, List<String> fired) {
        String rules = String.join(",", fired);
        Map<String, Verdict.Header> headers = new LinkedHashMap<>();
        Optional<String> prefix = Optional.empty();
        for (Action.TagSpec t : tags) {
            for (Verdict.Header h : t.headers()) {
                String value =
                        h.value().replace("{score}", Score.format(total)).replace("{rules}", rules);
                headers.putIfAbsent(
                        h.name().toLowerCase(Locale.ROOT), new Verdict.Header(h.name(), value));
            }
            if (prefix.isEmpty()) {
                prefix = t.subjectPrefix();
            }
        }
        return new Verdict.Tag(List.copyOf(headers.values()), prefix);
    }

    /** The hit of a score threshold reached at the current stage. */
    Hit threshold(String id, double total, double threshold) {
        return Hit.of(
                id,
                facts.stage(),
                "score " + Score.format(total) + " >= " + Score.format(threshold));
    }
}
