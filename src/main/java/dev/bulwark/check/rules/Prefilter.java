package dev.bulwark.check.rules;

import java.util.ArrayList;
import java.util.LinkedHashSet;
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
        try {
            Analyzer a = new Analyzer(pattern);
            Info info = a.alternation();
            if (a.pos != pattern.length()) {
                return TRUE;
            }
            return info.formula();
        } catch (Analyzer.Unsupported e) {
            return TRUE;
        }
    }

    /**
     * The top-level alternatives of a pattern ({@code a|b|c} gives three), or just the pattern when
     * it has one, or when splitting could change its meaning (flag groups such as {@code (?i)} hold
     * across {@code |}, so a pattern with them is never split).
     */
    static List<String> branches(String pattern) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '[') {
                i = classEnd(pattern, i);
                if (i < 0) {
                    return List.of(pattern);
                }
            } else if (c == '(') {
                if (pattern.startsWith("(?", i)
                        && !pattern.startsWith("(?:", i)
                        && !pattern.startsWith("(?P<", i)) {
                    return List.of(pattern);
                }
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == '|' && depth == 0) {
                out.add(pattern.substring(start, i));
                start = i + 1;
            }
        }
        out.add(pattern.substring(start));
        List<String> all = new ArrayList<>();
        for (String branch : out) {
            all.addAll(expand(branch, MAX_BRANCHES));
        }
        return all.size() <= MAX_BRANCHES ? all : out;
    }

    /** Alternatives are distributed only while a pattern gives at most this many branches. */
    int MAX_BRANCHES = 48;

    /**
     * Distributes groups of alternatives one after the other, while the count stays within the
     * limit.
     */
    private static List<String> expand(String pattern, int limit) {
        List<String> once = distribute(pattern);
        if (once.size() == 1) {
            return once;
        }
        List<String> all = new ArrayList<>();
        for (String p : once) {
            all.addAll(expand(p, limit));
            if (all.size() > limit) {
                return once;
            }
        }
        return all;
    }

    /**
     * {@code P(a|b)S} as {@code P(?:a)S}, {@code P(?:b)S}: a pattern whose alternatives sit in one
     * group (such as {@code \b(act now|order now)\b}) is split the same way.
     */
    private static List<String> distribute(String pattern) {
        int groupStart = -1;
        int groupEnd = -1;
        List<Integer> bars = new ArrayList<>();
        int depth = 0;
        int open = -1;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '[') {
                i = classEnd(pattern, i);
                if (i < 0) {
                    return List.of(pattern);
                }
            } else if (c == '(') {
                if (depth == 0) {
                    open = i;
                }
                depth++;
            } else if (c == ')') {
                depth--;
                if (depth == 0 && !bars.isEmpty()) {
                    int next = i + 1;
                    boolean quantified =
                            next < pattern.length() && "*+?{".indexOf(pattern.charAt(next)) >= 0;
                    if (!quantified) {
                        groupStart = open;
                        groupEnd = i;
                        break;
                    }
                    bars.clear(); // (a|b)* cannot be distributed: look at the next group
                }
            } else if (c == '|' && depth == 1) {
                bars.add(i);
            } else if (c == '|' && depth == 0) {
                return List.of(pattern);
            }
        }
        if (groupStart < 0) {
            return List.of(pattern);
        }
        int after = groupEnd + 1;
        int bodyStart =
                pattern.startsWith("(?:", groupStart)
                        ? groupStart + 3
                        : pattern.startsWith("(?P<", groupStart)
                                ? pattern.indexOf('>', groupStart) + 1
                                : groupStart + 1;
        String prefix = pattern.substring(0, groupStart);
        String suffix = pattern.substring(after);
        List<String> out = new ArrayList<>();
        int from = bodyStart;
        for (int bar : bars) {
            out.add(prefix + "(?:" + pattern.substring(from, bar) + ")" + suffix);
            from = bar + 1;
        }
        out.add(prefix + "(?:" + pattern.substring(from, groupEnd) + ")" + suffix);
        return out;
    }

    /**
     * The pattern without its word-boundary assertions ({@code \b}, {@code \B}), or null when it
     * has none. Dropping a zero-width assertion only widens what matches, so when this finds
     * nothing the pattern finds nothing; re2j runs much faster without them.
     */
    static String withoutWordBoundaries(String pattern) {
        StringBuilder out = new StringBuilder(pattern.length());
        boolean removed = false;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                char e = pattern.charAt(i + 1);
                if (e == 'b' || e == 'B') {
                    removed = true;
                } else {
                    out.append(c).append(e);
                }
                i++;
            } else if (c == '[') {
                int end = classEnd(pattern, i);
                if (end < 0) {
                    return null;
                }
                out.append(pattern, i, end + 1);
                i = end;
            } else {
                out.append(c);
            }
        }
        return removed ? out.toString() : null;
    }

    /**
     * A case-sensitive pattern that, run on folded text ({@link Fold}), finds a match whenever the
     * given pattern (either case mode) finds one in the original text; or null when the pattern
     * uses syntax for which that cannot be promised. Literals are folded, word boundaries dropped;
     * classes may hold only lower-case ASCII letters, since folded text has no upper case. Its
     * point: re2j skips straight to a literal prefix in a case-sensitive pattern, so this check is
     * nearly free where the full pattern would walk every position.
     */
    static String foldedCheck(String pattern) {
        StringBuilder out = new StringBuilder(pattern.length());
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\') {
                if (i + 1 >= pattern.length()) {
                    return null;
                }
                char e = pattern.charAt(++i);
                switch (e) {
                    case 'b', 'B' -> {
                        // dropped: a zero-width assertion
                    }
                    case 's', 'S', 'd', 'D', 'w', 'n', 't', 'r', 'A', 'z' ->
                            out.append('\\').append(e);
                    default -> {
                        if (Character.isLetterOrDigit(e)) {
                            return null; // \W, \p, \x, \Q, back-references: not promised
                        }
                        out.append('\\').append(e);
                    }
                }
            } else if (c == '[') {
                int end = classEnd(pattern, i);
                if (end < 0) {
                    return null;
                }
                String cls = pattern.substring(i, end + 1);
                for (int k = 1; k < cls.length() - 1; k++) {
                    char x = cls.charAt(k);
                    if (x == '\\') {
                        char e = cls.charAt(++k);
                        if (Character.isLetterOrDigit(e) && "sdnrt".indexOf(e) < 0) {
                            return null;
                        }
                    } else if (Character.isLetter(x) && !(x >= 'a' && x <= 'z')) {
                        return null;
                    } else if (x == '[') {
                        return null; // [[:alpha:]] and friends
                    }
                }
                out.append(cls);
                i = end;
            } else if (c == '('
                    && pattern.startsWith("(?", i)
                    && !pattern.startsWith("(?:", i)
                    && !pattern.startsWith("(?P<", i)) {
                return null;
            } else if (Character.isHighSurrogate(c)) {
                return null;
            } else {
                char f = Fold.fold(String.valueOf(c)).charAt(0);
                if (f != c && "\\^$.|?*+()[]{}".indexOf(f) >= 0) {
                    return null;
                }
                out.append(f);
            }
        }
        return out.toString();
    }

    /** The index of the ']' closing the class that opens at {@code open}, or -1. */
    private static int classEnd(String p, int open) {
        int i = open + 1;
        if (i < p.length() && p.charAt(i) == '^') {
            i++;
        }
        if (i < p.length() && p.charAt(i) == ']') {
            i++;
        }
        while (i < p.length() && p.charAt(i) != ']') {
            if (p.charAt(i) == '\\') {
                i++;
            } else if (p.startsWith("[:", i)) {
                int close = p.indexOf(":]", i + 2);
                if (close < 0) {
                    return -1;
                }
                i = close + 1;
            }
            i++;
        }
        return i < p.length() ? i : -1;
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

    /**
     * What is known about a sub-pattern: either the exact set of (folded) strings it matches, or
     * only a formula its matches satisfy.
     */
    record Info(Set<String> exact, Prefilter match) {
        static Info exact(Set<String> s) {
            return new Info(s, null);
        }

        static Info formula(Prefilter p) {
            return new Info(null, p);
        }

        Prefilter formula() {
            if (exact == null) {
                return match;
            }
            List<Prefilter> atoms = new ArrayList<>();
            for (String s : exact) {
                if (s.length() < MIN_ATOM) {
                    return TRUE;
                }
                atoms.add(new Atom(s));
            }
            return or(atoms);
        }
    }

    /** A recursive-descent reading of RE2 syntax, enough to find literals. */
    final class Analyzer {
        static final class Unsupported extends RuntimeException {
            private static final long serialVersionUID = 1L;

            Unsupported() {
                super(null, null, false, false);
            }
        }

        private final String p;
        int pos;

        Analyzer(String pattern) {
            this.p = pattern;
        }

        Info alternation() {
            List<Info> branches = new ArrayList<>();
            branches.add(concatenation());
            while (pos < p.length() && p.charAt(pos) == '|') {
                pos++;
                branches.add(concatenation());
            }
            if (branches.size() == 1) {
                return branches.get(0);
            }
            Set<String> union = new LinkedHashSet<>();
            boolean exact = true;
            for (Info b : branches) {
                if (b.exact == null) {
                    exact = false;
                    break;
                }
                union.addAll(b.exact);
            }
            if (exact && union.size() <= MAX_EXACT) {
                return Info.exact(union);
            }
            return Info.formula(or(branches.stream().map(Info::formula).toList()));
        }

        private Info concatenation() {
            List<Prefilter> and = new ArrayList<>();
            Set<String> current = Set.of("");
            boolean allExact = true;
            while (pos < p.length() && p.charAt(pos) != '|' && p.charAt(pos) != ')') {
                Info item = repetition();
                if (item.exact != null && (long) current.size() * item.exact.size() <= MAX_EXACT) {
                    Set<String> product = new LinkedHashSet<>();
                    for (String a : current) {
                        for (String b : item.exact) {
                            product.add(a + b);
                        }
                    }
                    current = product;
                    continue;
                }
                allExact = false;
                and.add(Info.exact(current).formula());
                if (item.exact != null) {
                    current = item.exact;
                } else {
                    and.add(item.match);
                    current = Set.of("");
                }
            }
            if (allExact) {
                return Info.exact(current);
            }
            and.add(Info.exact(current).formula());
            return Info.formula(and(and));
        }

        private Info repetition() {
            Info atom = atom();
            while (pos < p.length()) {
                char c = p.charAt(pos);
                int min;
                boolean optional = false;
                if (c == '*') {
                    min = 0;
                    pos++;
                } else if (c == '?') {
                    min = 0;
                    optional = true;
                    pos++;
                } else if (c == '+') {
                    min = 1;
                    pos++;
                } else if (c == '{' && isCount()) {
                    int close = p.indexOf('}', pos);
                    String body = p.substring(pos + 1, close);
                    int comma = body.indexOf(',');
                    min = Integer.parseInt(comma < 0 ? body : body.substring(0, comma));
                    pos = close + 1;
                } else {
                    break;
                }
                if (pos < p.length() && p.charAt(pos) == '?') {
                    pos++; // non-greedy: same strings
                }
                if (optional && atom.exact != null && atom.exact.size() < MAX_EXACT) {
                    // x? is exactly the strings of x, or nothing
                    Set<String> s = new LinkedHashSet<>(atom.exact);
                    s.add("");
                    atom = Info.exact(s);
                } else if (min == 0) {
                    atom = Info.formula(TRUE); // any number of anything: no literal survives
                } else {
                    atom = Info.formula(atom.formula()); // at least one: what x needs, but not
                    // exactly x
                }
            }
            return atom;
        }

        private boolean isCount() {
            int close = p.indexOf('}', pos);
            return close > pos + 1 && p.substring(pos + 1, close).matches("[0-9]+(,[0-9]*)?");
        }

        private Info atom() {
            char c = p.charAt(pos);
            switch (c) {
                case '(' -> {
                    pos++;
                    if (p.startsWith("?", pos)) {
                        pos++;
                        if (p.startsWith("P<", pos)) {
                            int close = p.indexOf('>', pos);
                            if (close < 0) {
                                throw new Unsupported();
                            }
                            pos = close + 1;
                        } else {
                            while (pos < p.length() && "imsU-".indexOf(p.charAt(pos)) >= 0) {
                                pos++;
                            }
                            if (pos < p.length() && p.charAt(pos) == ')') {
                                pos++;
                                return Info.exact(
                                        Set.of("")); // flags for the rest: literals unaffected
                            }
                            if (pos >= p.length() || p.charAt(pos) != ':') {
                                throw new Unsupported();
                            }
                            pos++;
                        }
                    }
                    Info inner = alternation();
                    if (pos >= p.length() || p.charAt(pos) != ')') {
                        throw new Unsupported();
                    }
                    pos++;
                    return inner;
                }
                case '[' -> {
                    skipClass();
                    return Info.formula(TRUE);
                }
                case '.' -> {
                    pos++;
                    return Info.formula(TRUE);
                }
                case '^', '$' -> {
                    pos++;
                    return Info.exact(Set.of(""));
                }
                case '\\' -> {
                    return escape();
                }
                case '*', '+', '?', '{', ')', '|' -> throw new Unsupported();
                default -> {
                    int cp = p.codePointAt(pos);
                    pos += Character.charCount(cp);
                    return literal(cp);
                }
            }
        }

        private Info literal(int cp) {
            return Info.exact(Set.of(Fold.fold(new String(Character.toChars(cp)))));
        }

        private Info escape() {
            if (pos + 1 >= p.length()) {
                throw new Unsupported();
            }
            char e = p.charAt(pos + 1);
            pos += 2;
            switch (e) {
                case 'd', 'D', 's', 'S', 'w', 'W' -> {
                    return Info.formula(TRUE);
                }
                case 'b', 'B', 'A', 'z' -> {
                    return Info.exact(Set.of(""));
                }
                case 'p', 'P' -> {
                    if (pos < p.length() && p.charAt(pos) == '{') {
                        int close = p.indexOf('}', pos);
                        if (close < 0) {
                            throw new Unsupported();
                        }
                        pos = close + 1;
                    } else {
                        pos++;
                    }
                    return Info.formula(TRUE);
                }
                case 'n' -> {
                    return literal('\n');
                }
                case 't' -> {
                    return literal('\t');
                }
                case 'r' -> {
                    return literal('\r');
                }
                default -> {
                    if (Character.isLetterOrDigit(e)) {
                        throw new Unsupported(); // \x, \Q, \C, back-references and the like
                    }
                    return literal(e);
                }
            }
        }

        private void skipClass() {
            int i = pos + 1;
            if (i < p.length() && p.charAt(i) == '^') {
                i++;
            }
            if (i < p.length() && p.charAt(i) == ']') {
                i++;
            }
            while (i < p.length() && p.charAt(i) != ']') {
                if (p.charAt(i) == '\\') {
                    i++;
                } else if (p.startsWith("[:", i)) {
                    int close = p.indexOf(":]", i + 2);
                    if (close < 0) {
                        throw new Unsupported();
                    }
                    i = close + 1;
                }
                i++;
            }
            if (i >= p.length()) {
                throw new Unsupported();
            }
            pos = i + 1;
        }
    }
}
