package dev.bulwark.check.rules;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import java.util.Objects;
import java.util.Optional;

/**
 * A compiled re2j pattern with the language's semantics: unanchored (a match anywhere in the
 * subject counts; write {@code ^}/{@code $} to anchor), case-insensitive unless
 * {@code caseSensitive}. Compiled once, when the policy is compiled; matching is linear-time.
 */
public final class Regex {

    private final String source;
    private final boolean caseSensitive;
    private final Pattern pattern;
    private final Prefilter prefilter;

    /**
     * @throws com.google.re2j.PatternSyntaxException if the pattern is not valid re2j syntax
     */
    public Regex(String source, boolean caseSensitive) {
        this.source = Objects.requireNonNull(source, "source");
        this.caseSensitive = caseSensitive;
        this.pattern = Pattern.compile(source, caseSensitive ? 0 : Pattern.CASE_INSENSITIVE);
        this.prefilter = Prefilter.of(source);
    }

    /** The literals a text must contain for this pattern to match it. */
    public Prefilter prefilter() {
        return prefilter;
    }

    public String source() {
        return source;
    }

    public boolean caseSensitive() {
        return caseSensitive;
    }

    /** The first match in the text, if any. */
    public Optional<String> find(CharSequence text) {
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

    @Override
    public String toString() {
        return "/" + source + "/" + (caseSensitive ? "" : "i");
    }
}
