package dev.bulwark.policy;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A rule as written. A part that could not be read is empty and the rule is not {@code complete}:
 * the check pass still checks the parts it has (so every problem is reported), but such a rule
 * takes no part in the analysis of the whole policy.
 *
 * @param effect what the rule does: {@link Score} or {@link Act}
 */
record RuleDecl(
        Pos pos,
        Optional<Located<String>> id,
        @NotCanonical("a note for people: it changes nothing the policy does")
                Optional<Located<String>> description,
        Optional<CondDecl> when,
        Optional<Effect> effect,
        Optional<Located<Boolean>> shadow,
        @NotCanonical("only a policy without errors has a canonical form") boolean complete)
        implements Declaration {

    /** {@code score: N} or {@code action: NAME} with its settings. */
    sealed interface Effect extends Declaration {
        /** Whether the effect ends rule evaluation (every action but tag). */
        boolean terminal();

        @Override
        Map<String, Object> canonical();
    }

    record Score(Pos keyPos, Located<BigDecimal> score) implements Effect {
        @Override
        public boolean terminal() {
            return false;
        }

        @Override
        public Map<String, Object> canonical() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("score", score.value());
            return c;
        }
    }

    /** An action ({@link Language#ACTIONS}), with a reply (reject, defer) or a tag (tag). */
    record Act(Located<String> action, Optional<Located<String>> reply, Optional<TagDecl> tag)
            implements Effect {
        @Override
        public boolean terminal() {
            return !action.value().equals("tag");
        }

        @Override
        public Map<String, Object> canonical() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("action", action.value());
            reply.ifPresent(r -> c.put("reply", r.value()));
            tag.ifPresent(t -> c.put("tag", t.canonical()));
            return c;
        }
    }

    boolean isShadow() {
        return shadow.map(Located::value).orElse(false);
    }

    /** The id, or "?" in messages about a rule without a readable one. */
    String idOrUnknown() {
        return id.map(Located::value).orElse("?");
    }

    /** {@code id}, {@code when}, the effect's keys, {@code shadow}. */
    @Override
    public Map<String, Object> canonical() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", id.orElseThrow().value());
        when.ifPresent(w -> c.put("when", w.canonical()));
        c.putAll(effect.orElseThrow().canonical());
        c.put("shadow", isShadow());
        return c;
    }
}
