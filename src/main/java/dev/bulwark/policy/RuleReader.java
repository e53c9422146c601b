package dev.bulwark.policy;

import dev.bulwark.check.Stage;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The read pass for {@code rules:}: rules, their conditions (by the matcher table) and effects. */
final class RuleReader {

    private final Problems problems;

    private RuleReader(Problems problems) {
        this.problems = problems;
    }

    /** The rules under each stage, stages in the order written. */
    static List<PolicyDecl.StageRules> read(Node node, Problems problems) {
        RuleReader r = new RuleReader(problems);
        List<PolicyDecl.StageRules> out = new ArrayList<>();
        for (Yaml.Entry e :
                Yaml.mapping(node, "'rules'", Language.STAGES, problems)
                        .orElse(Map.of())
                        .values()) {
            Stage stage = Stage.valueOf(e.key().toUpperCase(Locale.ROOT));
            List<RuleDecl> rules = new ArrayList<>();
            Yaml.sequence(e.value(), "the " + e.key() + " rules", problems)
                    .ifPresent(nodes -> nodes.forEach(n -> r.rule(n, stage).ifPresent(rules::add)));
            out.add(new PolicyDecl.StageRules(Located.of(stage, e.keyPos()), rules));
        }
        return out;
    }

    private Optional<RuleDecl> rule(Node node, Stage stage) {
        Optional<Map<String, Yaml.Entry>> mapping =
                Yaml.mapping(node, "a rule", Language.RULE, problems);
        if (mapping.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Yaml.Entry> m = mapping.get();
        Pos pos = Yaml.pos(node);
        boolean complete = true;
        Optional<Located<String>> id = Optional.empty();
        if (!m.containsKey("id")) {
            problems.error(pos, "a rule needs an 'id'");
            complete = false;
        } else {
            id = Values.readString(m.get("id").value(), "a rule id", problems);
            complete = id.isPresent();
        }
        Optional<Located<String>> description =
                m.containsKey("description")
                        ? Values.readString(m.get("description").value(), "a description", problems)
                        : Optional.empty();
        Optional<CondDecl> when = Optional.empty();
        if (m.containsKey("when")) {
            Read<CondDecl> read = condition(m.get("when").value(), stage);
            when = read.value();
            complete &= read.complete();
        }
        Optional<Located<Boolean>> shadow =
                m.containsKey("shadow")
                        ? Values.readBool(m.get("shadow").value(), "'shadow'", problems)
                        : Optional.empty();
        Effect effect = effect(m, pos, id);
        return Optional.of(
                new RuleDecl(
                        pos,
                        id,
                        description,
                        when,
                        effect.effect,
                        shadow,
                        complete && effect.complete));
    }

    /** An effect, and whether every part of it read. */
    private record Effect(Optional<RuleDecl.Effect> effect, boolean complete) {}

    private Effect effect(Map<String, Yaml.Entry> m, Pos pos, Optional<Located<String>> id) {
        Yaml.Entry action = m.get("action");
        Yaml.Entry score = m.get("score");
        boolean complete = true;
        if (action == null) {
            if (m.containsKey("reply")) {
                problems.error(m.get("reply").keyPos(), "'reply' is only for reject and defer");
                complete = false;
            }
            if (m.containsKey("tag")) {
                problems.error(m.get("tag").keyPos(), "'tag' settings are only for action tag");
                complete = false;
            }
        }
        if (action != null && score != null) {
            problems.error(score.keyPos(), "a rule has either 'action' or 'score', not both");
            return new Effect(Optional.empty(), false);
        }
        if (action == null && score == null) {
            problems.error(
                    pos,
                    "rule '"
                            + id.map(Located::value).orElse("?")
                            + "' needs an 'action' or a 'score'");
            return new Effect(Optional.empty(), false);
        }
        if (score != null) {
            Optional<RuleDecl.Effect> s =
                    Values.readNumber(score.value(), "'score'", problems)
                            .map(points -> new RuleDecl.Score(score.keyPos(), points));
            return new Effect(s, complete && s.isPresent());
        }
        Optional<Located<String>> name = Values.readString(action.value(), "'action'", problems);
        if (name.isEmpty()) {
            return new Effect(Optional.empty(), false);
        }
        String a = name.get().value();
        if (!Language.ACTIONS.contains(a)) {
            String hint =
                    a.equals("score")
                            ? ": write 'score: N' instead of 'action'"
                            : Suggest.didYouMean(a, Language.ACTIONS);
            problems.error(action.pos(), "unknown action '" + a + "'" + hint);
            return new Effect(Optional.empty(), false);
        }
        Optional<Located<String>> reply = Optional.empty();
        if (m.containsKey("reply")) {
            Yaml.Entry r = m.get("reply");
            if (!a.equals("reject") && !a.equals("defer")) {
                problems.error(r.keyPos(), "'reply' is only for reject and defer, not " + a);
                complete = false;
            } else {
                reply = Values.readString(r.value(), "'reply'", problems);
                complete &= reply.isPresent();
            }
        }
        Optional<TagDecl> tag = Optional.empty();
        if (m.containsKey("tag")) {
            if (!a.equals("tag")) {
                problems.error(
                        m.get("tag").keyPos(), "'tag' settings are only for action tag, not " + a);
                complete = false;
            } else {
                Read<TagDecl> read = PolicyReader.tag(m.get("tag").value(), "'tag'", problems);
                tag = read.value();
                complete &= read.complete();
            }
        }
        return new Effect(Optional.of(new RuleDecl.Act(name.get(), reply, tag)), complete);
    }

    // ---- conditions ----------------------------------------------------------------------------

    private static final Set<String> CONDITION_KEYS = conditionKeys();

    private static Set<String> conditionKeys() {
        Set<String> keys = new LinkedHashSet<>(Language.COMPOSITES);
        keys.addAll(Matchers.names());
        return keys;
    }

    private Read<CondDecl> condition(Node node, Stage stage) {
        Optional<Map<String, Yaml.Entry>> mapping =
                Yaml.mapping(node, "a condition", CONDITION_KEYS, problems);
        if (mapping.isEmpty()) {
            return Read.failed();
        }
        Map<String, Yaml.Entry> m = mapping.get();
        if (m.isEmpty()) {
            if (((MappingNode) node).getValue().isEmpty()) {
                problems.error(Yaml.pos(node), "a condition needs a matcher, or all/any/not");
            }
            return Read.failed();
        }
        List<CondDecl> parts = new ArrayList<>();
        boolean complete = true;
        for (Yaml.Entry e : m.values()) {
            Read<CondDecl> c = single(e, stage);
            c.value().ifPresent(parts::add);
            complete &= c.complete();
        }
        if (parts.isEmpty()) {
            return Read.failed();
        }
        return Read.of(
                parts.size() == 1 ? parts.get(0) : new CondDecl.All(Yaml.pos(node), parts),
                complete);
    }

    /**
     * One key of a condition. A matcher whose facts are not known at the rule's stage is refused
     * here, like a key that does not belong, and its operand is not read.
     */
    private Read<CondDecl> single(Yaml.Entry e, Stage stage) {
        String key = e.key();
        if (key.equals("not")) {
            Read<CondDecl> inner = condition(e.value(), stage);
            return new Read<>(
                    inner.value().map(c -> new CondDecl.Not(e.keyPos(), c)), inner.complete());
        }
        if (key.equals("all") || key.equals("any")) {
            return composite(e, stage);
        }
        MatcherRow<?, ?> row = Matchers.byName(key).orElseThrow();
        if (row.earliest().compareTo(stage) > 0) {
            problems.error(
                    e.keyPos(),
                    "'"
                            + key
                            + "' cannot be used in "
                            + stage.key()
                            + " rules: "
                            + Language.known(row.earliest()));
            return Read.failed();
        }
        return row.read(e.value(), problems)
                .map(o -> Read.<CondDecl>of(new CondDecl.Match(e.keyPos(), row, o), true))
                .orElse(Read.failed());
    }

    private Read<CondDecl> composite(Yaml.Entry e, Stage stage) {
        Optional<List<Node>> nodes = Yaml.sequence(e.value(), "'" + e.key() + "'", problems);
        if (nodes.isEmpty()) {
            return Read.failed();
        }
        if (nodes.get().isEmpty()) {
            problems.error(e.pos(), "'" + e.key() + "' needs at least one condition");
            return Read.failed();
        }
        List<CondDecl> parts = new ArrayList<>();
        boolean complete = true;
        for (Node n : nodes.get()) {
            Read<CondDecl> c = condition(n, stage);
            c.value().ifPresent(parts::add);
            complete &= c.complete();
        }
        if (parts.isEmpty()) {
            return Read.failed();
        }
        return Read.of(
                e.key().equals("all")
                        ? new CondDecl.All(e.keyPos(), parts)
                        : new CondDecl.Any(e.keyPos(), parts),
                complete);
    }
}
