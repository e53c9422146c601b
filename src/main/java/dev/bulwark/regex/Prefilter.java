package dev.bulwark.regex;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What a text must contain for a pattern to match it: a formula of AND and OR over literals of at
 * least {@link #MIN_ATOM} characters, derived from the pattern's syntax (the approach of RE2's
 * FilteredRE2). Literals are case-folded ({@link Fold}) and looked up in folded text, so the test
 * is conservative for case-sensitive and case-insensitive patterns alike: if the formula is false
 * the pattern cannot match, if it is true the pattern must still be run.
 *
 * <p>The analysis understands the common part of RE2 syntax; anything else (hex escapes, {@code
 * \Q...\E}, unusual groups) gives the formula {@code true}, which only costs speed.
 */
sealed interface Prefilter {

    int MIN_ATOM = 3;

    /** Beyond this many strings an exact set stops being tracked. */
    int MAX_EXACT = 16;

    /** Whether the text may match, given which literals it contains. */
    boolean mayMatch(Predicate<String> contains);

    /** Every literal the formula mentions. */
    void atoms(Set<String> into);

    record True() implements Prefilter {
        public boolean mayMatch(Predicate<String> contains) {
            return true;
        }

        public void atoms(Set<String> into) {}

        @Override
        public String toString() {
            return "true";
        }
    }

    record Atom(String literal) implements Prefilter {
        public boolean mayMatch(Predicate<String> contains) {
            return contains.test(literal);
        }

        public void atoms(Set<String> into) {
            into.add(literal);
        }

        @Override
        public String toString() {
            return "'" + literal + "'";
        }
    }

    record And(List<Prefilter> parts) implements Prefilter {
        public boolean mayMatch(Predicate<String> contains) {
            for (Prefilter p : parts) {
                if (!p.mayMatch(contains)) {
                    return false;
                }
            }
            return true;
        }

        public void atoms(Set<String> into) {
            parts.forEach(p -> p.atoms(into));
        }

        @Override
        public String toString() {
            return "and" + parts;
        }
    }

    record Or(List<Prefilter> parts) implements Prefilter {
        public boolean mayMatch(Predicate<String> contains) {
            for (Prefilter p : parts) {
                if (p.mayMatch(contains)) {
                    return true;
                }
            }
            return false;
        }

        public void atoms(Set<String> into) {
            parts.forEach(p -> p.atoms(into));
        }

        @Override
        public String toString() {
            return "or" + parts;
        }
    }

    Prefilter TRUE = new True();

    /** The formula for an RE2 pattern (which must already have compiled). */
    static Prefilter of(String pattern) {
        return SyntaxReader.formula(pattern);
    }

    static Prefilter and(List<Prefilter> parts) {
        List<Prefilter> keep = new ArrayList<>();
        for (Prefilter p : parts) {
            if (p instanceof And a) {
                keep.addAll(a.parts);
            } else if (!(p instanceof True)) {
                keep.add(p);
            }
        }
        return keep.isEmpty() ? TRUE : keep.size() == 1 ? keep.get(0) : new And(List.copyOf(keep));
    }

    static Prefilter or(List<Prefilter> parts) {
        List<Prefilter> keep = new ArrayList<>();
        for (Prefilter p : parts) {
            if (p instanceof True) {
                return TRUE;
            }
            if (p instanceof Or o) {
                keep.addAll(o.parts);
            } else {
                keep.add(p);
            }
        }
        return keep.isEmpty() ? TRUE : keep.size() == 1 ? keep.get(0) : new Or(List.copyOf(keep));
    }
}
