package dev.bulwark.auth;

import java.util.regex.Pattern;

/**
 * The syntax of the domain names the checks take from a message (From, d=, s=, URL hosts). The
 * length is checked before the pattern: java.util.regex recurses once per repetition of a group, so
 * a name of tens of thousands of labels (a From field of 120 KB is enough) overflowed the stack.
 */
public final class DomainNames {

    /** RFC 1035: at most 253 octets in text form. */
    public static final int MAX_LENGTH = 253;

    private static final Pattern NAME = Pattern.compile("[a-z0-9_-]+(\\.[a-z0-9_-]+)+");
    private static final Pattern LABELS = Pattern.compile("[a-z0-9_-]+(\\.[a-z0-9_-]+)*");

    private DomainNames() {}

    /** A lower-case name of two labels or more, at most {@link #MAX_LENGTH} octets. */
    public static boolean isName(String s) {
        return s.length() <= MAX_LENGTH && NAME.matcher(s).matches();
    }

    /** Lower-case labels, one or more (a DKIM selector), at most {@link #MAX_LENGTH} octets. */
    public static boolean isLabels(String s) {
        return s.length() <= MAX_LENGTH && LABELS.matcher(s).matches();
    }
}
