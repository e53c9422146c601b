package dev.bulwark.check.rules;

import dev.bulwark.check.Stage;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A compiled rule condition: a matcher from the policy ({@link Match}), or {@code all}/{@code
 * any}/{@code not} of conditions. Conditions are immutable and shared by every session.
 */
public sealed interface Condition {

    /**
     * Tests the condition against the facts. On a match, appends a short account of what matched to
     * {@code why} (for the audit log and {@code bulwark check}); on no match leaves it as it was.
     */
    boolean test(Facts facts, StringBuilder why);

    /** The earliest stage at which every fact this condition reads is known. */
    Stage earliest();

    /** The name in the policy language. */
    String name();

    /** Matched text is clipped to this many characters in hit details. */
    int CLIP = 80;

    /** Text for a hit detail: control characters as spaces, at most {@link #CLIP} characters. */
    static String clip(String s) {
        StringBuilder out = new StringBuilder(Math.min(s.length(), CLIP) + 3);
        for (int i = 0; i < s.length() && out.length() < CLIP; i++) {
            char c = s.charAt(i);
            out.append(c < 32 || c == 127 ? ' ' : c);
        }
        if (s.length() > CLIP) {
            out.append("...");
        }
        return out.toString();
    }

    private static boolean note(StringBuilder why, String name, String detail) {
        if (!why.isEmpty()) {
            why.append("; ");
        }
        why.append(name).append(' ').append(detail);
        return true;
    }

    private static Stage latest(List<Condition> cs) {
        Stage s = Stage.CONNECT;
        for (Condition c : cs) {
            if (c.earliest().compareTo(s) > 0) {
                s = c.earliest();
            }
        }
        return s;
    }

    /**
     * A matcher as the policy names it: the name and earliest stage come from the compiler's
     * matcher table, the test from the {@link Matcher} the table's factory built.
     */
    record Match(String name, Stage earliest, Matcher matcher) implements Condition {
        public Match {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(earliest, "earliest");
            Objects.requireNonNull(matcher, "matcher");
        }

        @Override
        public boolean test(Facts f, StringBuilder why) {
            Optional<String> detail = matcher.match(f);
            return detail.isPresent() && note(why, name, detail.get());
        }
    }

    /** A rule without {@code when}: always true. */
    record Always() implements Condition {
        @Override
        public boolean test(Facts f, StringBuilder why) {
            return true;
        }

        @Override
        public Stage earliest() {
            return Stage.CONNECT;
        }

        @Override
        public String name() {
            return "always";
        }
    }

    record All(List<Condition> conditions) implements Condition {
        public All {
            conditions = List.copyOf(conditions);
        }

        @Override
        public boolean test(Facts f, StringBuilder why) {
            int mark = why.length();
            for (Condition c : conditions) {
                if (!c.test(f, why)) {
                    why.setLength(mark);
                    return false;
                }
            }
            return true;
        }

        @Override
        public Stage earliest() {
            return latest(conditions);
        }

        @Override
        public String name() {
            return "all";
        }
    }

    record Any(List<Condition> conditions) implements Condition {
        public Any {
            conditions = List.copyOf(conditions);
        }

        @Override
        public boolean test(Facts f, StringBuilder why) {
            for (Condition c : conditions) {
                if (c.test(f, why)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public Stage earliest() {
            return latest(conditions);
        }

        @Override
        public String name() {
            return "any";
        }
    }

    record Not(Condition condition) implements Condition {
        public Not {
            Objects.requireNonNull(condition, "condition");
        }

        @Override
        public boolean test(Facts f, StringBuilder why) {
            StringBuilder inner = new StringBuilder();
            if (condition.test(f, inner)) {
                return false;
            }
            return note(why, "not", condition.name());
        }

        @Override
        public Stage earliest() {
            return condition.earliest();
        }

        @Override
        public String name() {
            return "not";
        }
    }
}
