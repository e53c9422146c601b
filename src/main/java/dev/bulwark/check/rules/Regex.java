package dev.bulwark.check.rules;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A compiled re2j pattern with the language's semantics: unanchored (a match anywhere in the
 * subject counts; write {@code ^}/{@code $} to anchor), case-insensitive unless {@code
 * caseSensitive}. Compiled once, when the policy is compiled; matching is linear-time.
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

    /**
     * @throws com.google.re2j.PatternSyntaxException if the pattern is not valid re2j syntax
     */
    public Regex(String source, boolean caseSensitive) {
        this.source = Objects.requireNonNull(source, "source");
        this.caseSensitive = caseSensitive;
        int flags = caseSensitive ? 0 : Pattern.CASE_INSENSITIVE;
        this.pattern = Pattern.compile(source, flags);
        List<Branch> bs = new ArrayList<>();
        for (String b : Prefilter.branches(source)) {
            String relaxed = Prefilter.withoutWordBoundaries(b);
            String folded = Prefilter.foldedCheck(b);
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

    private static Pattern compileOrNull(String pattern) {
        try {
            return Pattern.compile(pattern);
        } catch (com.google.re2j.PatternSyntaxException e) {
            return null; // only a speed-up: without it the pattern still runs
        }
    }

    /**
     * The first match of any alternative in the text, if any, given the text folded ({@link Fold})
     * and which prefilter literals it contains (see {@link Prefilter}). Same result as {@link
     * #find(CharSequence)} as to whether there is a match; the matched text may be another
     * alternative's.
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

    /** As {@link #find(CharSequence, Predicate)}, on UTF-8 bytes. */
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

    /** Texts shorter than this (names, addresses, subjects) are matched in one pass. */
    private static final int SHORT = 512;

    /** The first match in the text, if any. */
    public Optional<String> find(CharSequence text) {
        if (branches.size() == 1 && branches.get(0).folded == null) {
            return findWhole(text);
        }
        String folded = Fold.fold(text);
        if (text.length() < SHORT) {
            return find(
                    text,
                    folded,
                    folded::contains); // a short text is searched for each literal directly
        }
        return find(text, folded, literal -> true);
    }

    /** The first match with the pattern as written (one pass, leftmost-first), if any. */
    public Optional<String> findWhole(CharSequence text) {
        Matcher m = pattern.matcher(text);
        return m.find() ? Optional.of(m.group()) : Optional.empty();
    }

    /** The first match in UTF-8 bytes, if any. */
    public Optional<String> find(byte[] utf8) {
        Matcher m = pattern.matcher(utf8);
        return m.find() ? Optional.of(m.group()) : Optional.empty();
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
