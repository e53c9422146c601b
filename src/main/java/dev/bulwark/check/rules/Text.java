package dev.bulwark.check.rules;

import dev.bulwark.regex.Fold;

import java.util.Objects;

/**
 * A literal to look for, case-insensitively unless {@code caseSensitive}. Case-insensitive search
 * compares folded text ({@link Fold}: lower case of upper case) against the subject folded once per
 * message, so each literal costs one {@code indexOf}.
 */
public final class Text {

    private final String text;
    private final boolean caseSensitive;
    private final String needle;

    public Text(String text, boolean caseSensitive) {
        this.text = Objects.requireNonNull(text, "text");
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty text");
        }
        this.caseSensitive = caseSensitive;
        this.needle = caseSensitive ? text : Fold.fold(text);
    }

    public String text() {
        return text;
    }

    public boolean caseSensitive() {
        return caseSensitive;
    }

    /**
     * Index of the text in the subject, given the subject and its folded form ({@link Fold}), or
     * -1.
     */
    int indexIn(String subject, String foldedSubject) {
        return caseSensitive ? subject.indexOf(needle) : foldedSubject.indexOf(needle);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Text t && t.text.equals(text) && t.caseSensitive == caseSensitive;
    }

    @Override
    public int hashCode() {
        return text.hashCode() * 31 + (caseSensitive ? 1 : 0);
    }

    @Override
    public String toString() {
        return "\"" + text + "\"";
    }
}
