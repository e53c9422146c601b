package dev.bulwark.regex;

/**
 * A pattern that is not valid RE2 syntax. re2j cannot say where in the pattern the problem is (its
 * index is always -1), so a caller reports at the pattern's own position with {@link
 * #description()} and {@link #fragment()}.
 */
public final class RegexSyntaxException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String pattern;
    private final String description;
    private final String fragment;

    RegexSyntaxException(String pattern, String description, String fragment, Throwable cause) {
        super(description + ": \"" + fragment + "\"", cause);
        this.pattern = pattern;
        this.description = description;
        this.fragment = fragment;
    }

    /** The pattern as given. */
    public String pattern() {
        return pattern;
    }

    /** What is wrong, in re2j's words: {@code missing closing )}. */
    public String description() {
        return description;
    }

    /** The part of the pattern re2j names: {@code (abc}. */
    public String fragment() {
        return fragment;
    }
}
