package dev.bulwark.regex;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A compiled pattern (RE2 syntax, run by re2j) with the policy language's semantics: unanchored (a
 * match anywhere in the subject counts; write {@code ^}/{@code $} to anchor), case-insensitive
 * unless {@code caseSensitive}. Compiled once, when the policy is compiled; immutable and shared;
 * matching is linear-time.
 *
 * <p>Long texts are searched branch by branch behind a literal prefilter (ADR 0006): the caller
 * folds the text once ({@link Fold}) and scans it once for the {@link #literals()} of every pattern
 * ({@link LiteralScanner}), then asks each pattern with {@link #find(CharSequence, String,
 * Predicate)}. Short texts use {@link #find(CharSequence)}.
 */
public final class Regex {

    private final String source;
    private final boolean caseSensitive;
    private final Pattern pattern;
    private final Prefilter prefilter;
    private final List<Branch> branches;

    /**
     * One top-level alternative, matched on its own: only when its literals occur, and first
     * without word boundaries (much cheaper in re2j) to rule texts out.
     */
    private record Branch(Pattern pattern, Pattern relaxed, Pattern folded, Prefilter prefilter) {}

    private Regex(String source, boolean caseSensitive) {
        this.source = source;
        this.caseSensitive = caseSensitive;
        int flags = caseSensitive ? 0 : Pattern.CASE_INSENSITIVE;
        this.pattern = Pattern.compile(source, flags);
        List<Branch> bs = new ArrayList<>();
        for (String b : Rewrites.branches(source)) {
            String relaxed = Rewrites.withoutWordBoundaries(b);
            String folded = Rewrites.foldedCheck(b);
            bs.add(
                    new Branch(
                            Pattern.compile(b, flags),
                            relaxed == null ? null : Pattern.compile(relaxed, flags),
                            folded == null ? null : compileOrNull(folded),
                            Prefilter.of(b)));
        }
        this.branches = List.copyOf(bs);
        this.prefilter = Prefilter.or(bs.stream().map(Branch::prefilter).toList());
    }

    /**
     * Compiles a pattern.
     *
     * @throws RegexSyntaxException if the pattern is not valid RE2 syntax
     */
    public static Regex compile(String source, boolean caseSensitive) {
        Objects.requireNonNull(source, "source");
        try {
            return new Regex(source, caseSensitive);
        } catch (PatternSyntaxException e) {
            String fragment = e.getPattern();
            if (!caseSensitive && fragment.startsWith("(?i)") && !source.startsWith("(?i)")) {
                fragment = fragment.substring(4); // re2j reports the flag it was compiled with
            }
            throw new RegexSyntaxException(source, e.getDescription(), fragment, e);
        }
    }

    private static Pattern compileOrNull(String pattern) {
        try {
            return Pattern.compile(pattern);
        } catch (PatternSyntaxException e) {
            return null; // only a speed-up: without it the pattern still runs
        }
    }

    /**
     * The first match of any alternative in the text, if any, given the text folded ({@link Fold})
     * and which of the {@link #literals()} it contains. Same result as {@link #find(CharSequence)}
     * as to whether there is a match; the matched text may be another alternative's.
     */
    public Optional<String> find(CharSequence text, String folded, Predicate<String> literals) {
        for (Branch b : branches) {
            if (!b.prefilter.mayMatch(literals)) {
                continue;
            }
            if (b.folded != null) {
                if (!b.folded.matcher(folded).find()) {
                    continue;
                }
            } else if (b.relaxed != null && !b.relaxed.matcher(text).find()) {
                continue;
            }
            Matcher m = b.pattern.matcher(text);
            if (m.find()) {
                return Optional.of(m.group());
            }
        }
        return Optional.empty();
    }

    /**
     * As {@link #find(CharSequence, String, Predicate)}, on UTF-8 bytes, given which literals they
     * contain ({@link LiteralScanner#scanAscii}).
     */
    public Optional<String> find(byte[] utf8, Predicate<String> literals) {
        for (Branch b : branches) {
            if (!b.prefilter.mayMatch(literals)) {
                continue;
            }
            if (b.relaxed != null && !b.relaxed.matcher(utf8).find()) {
                continue;
            }
            Matcher m = b.pattern.matcher(utf8);
            if (m.find()) {
                return Optional.of(m.group());
            }
        }
        return Optional.empty();
    }

    /** Texts shorter than this (names, addresses, subjects) are matched in one pass. */
    private static final int SHORT = 512;

    /** The first match in the text, if any. */
    public Optional<String> find(CharSequence text) {
        if (branches.size() == 1 && branches.get(0).folded == null) {
            return findWhole(text);
        }
        String folded = Fold.fold(text);
        if (text.length() < SHORT) {
            // A short text is searched for each literal directly.
            return find(text, folded, folded::contains);
        }
        return find(text, folded, literal -> true);
    }

    /** The first match with the pattern as written (one pass, leftmost-first), if any. */
    Optional<String> findWhole(CharSequence text) {
        Matcher m = pattern.matcher(text);
        return m.find() ? Optional.of(m.group()) : Optional.empty();
    }

    /**
     * Whether the pattern finds an empty match in any text, as {@code x*} does (and {@code ^$} does
     * not): such a pattern matches everything.
     */
    public boolean matchesEverything() {
        for (String probe : List.of("", "a", "Z9 \n-", "\n")) {
            Optional<String> m = findWhole(probe);
            if (m.isEmpty() || !m.get().isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The literals (folded, three characters or more) whose presence decides whether this pattern
     * must run on a text: what a {@link LiteralScanner} shared by several patterns looks for.
     */
    public Set<String> literals() {
        Set<String> atoms = new LinkedHashSet<>();
        prefilter.atoms(atoms);
        return atoms;
    }

    /** The literals a text must contain for this pattern to match it. */
    Prefilter prefilter() {
        return prefilter;
    }

    public String source() {
        return source;
    }

    public boolean caseSensitive() {
        return caseSensitive;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Regex r && r.source.equals(source) && r.caseSensitive == caseSensitive;
    }

    @Override
    public int hashCode() {
        return source.hashCode() * 31 + (caseSensitive ? 1 : 0);
    }

    /**
     * The pattern as shown in hit details: long ones shortened, since the rule id names them
     * anyway.
     */
    @Override
    public String toString() {
        String shown = source.length() > 48 ? source.substring(0, 45) + "..." : source;
        return "/" + shown + "/" + (caseSensitive ? "" : "i");
    }
}
