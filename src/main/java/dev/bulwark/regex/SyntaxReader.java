package dev.bulwark.regex;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A recursive-descent reading of RE2 syntax, enough to find the literals every match of a pattern
 * must contain: the {@link Prefilter} formula of a pattern.
 */
final class SyntaxReader {

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
                if (s.length() < Prefilter.MIN_ATOM) {
                    return Prefilter.TRUE;
                }
                atoms.add(new Prefilter.Atom(s));
            }
            return Prefilter.or(atoms);
        }
    }

    /** Syntax the reader does not follow: the pattern gets the formula {@code true}. */
    private static final class Unsupported extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unsupported() {
            super(null, null, false, false);
        }
    }

    private final String p;
    private int pos;

    private SyntaxReader(String pattern) {
        this.p = pattern;
    }

    /**
     * The formula for an RE2 pattern (which must already have compiled); {@code true} for syntax
     * the reader does not follow.
     */
    static Prefilter formula(String pattern) {
        try {
            SyntaxReader r = new SyntaxReader(pattern);
            Info info = r.alternation();
            if (r.pos != pattern.length()) {
                return Prefilter.TRUE;
            }
            return info.formula();
        } catch (Unsupported e) {
            return Prefilter.TRUE;
        }
    }

    private Info alternation() {
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
        if (exact && union.size() <= Prefilter.MAX_EXACT) {
            return Info.exact(union);
        }
        return Info.formula(Prefilter.or(branches.stream().map(Info::formula).toList()));
    }

    private Info concatenation() {
        List<Prefilter> and = new ArrayList<>();
        Set<String> current = Set.of("");
        boolean allExact = true;
        while (pos < p.length() && p.charAt(pos) != '|' && p.charAt(pos) != ')') {
            Info item = repetition();
            if (item.exact != null
                    && (long) current.size() * item.exact.size() <= Prefilter.MAX_EXACT) {
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
        return Info.formula(Prefilter.and(and));
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
            if (optional && atom.exact != null && atom.exact.size() < Prefilter.MAX_EXACT) {
                // x? is exactly the strings of x, or nothing
                Set<String> s = new LinkedHashSet<>(atom.exact);
                s.add("");
                atom = Info.exact(s);
            } else if (min == 0) {
                atom = Info.formula(Prefilter.TRUE); // any number of anything: no literal survives
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
                return Info.formula(Prefilter.TRUE);
            }
            case '.' -> {
                pos++;
                return Info.formula(Prefilter.TRUE);
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
                return Info.formula(Prefilter.TRUE);
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
                return Info.formula(Prefilter.TRUE);
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
