package dev.bulwark.regex;

import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites of a pattern that only ever widen what it matches, so that a cheaper pattern can rule
 * texts out before the real one runs (see {@link Regex}): splitting into alternatives, dropping
 * word boundaries, and a case-sensitive check for folded text.
 */
final class Rewrites {
    private Rewrites() {}

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
    static final int MAX_BRANCHES = 48;

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
    static int classEnd(String p, int open) {
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
}
