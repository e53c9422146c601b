package dev.bulwark.regex;

/**
 * Case folding for literal search: each character to the lower case of its upper case. Characters
 * that case-insensitive regex matching treats as equal (k, K and the Kelvin sign; s and long s)
 * fold to the same character, so a literal a pattern needs is found in folded text whenever the
 * pattern can match. Length is preserved, so indexes in folded text are indexes in the original.
 */
public final class Fold {
    private Fold() {}

    /** The folded text: the same length, each character (or surrogate pair) folded. */
    public static String fold(CharSequence s) {
        int n = s.length();
        if (s instanceof String str && isAscii(str)) {
            return str.toLowerCase(
                    java.util.Locale.ROOT); // intrinsic; the same as folding for ASCII
        }
        char[] out = new char[n];
        boolean changed = false;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            char f;
            if (c < 128) {
                f = c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
            } else if (Character.isHighSurrogate(c)
                    && i + 1 < n
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                // Supplementary letters (Deseret, Osage, ...) have case too: fold the code point.
                int cp = Character.toCodePoint(c, s.charAt(i + 1));
                int fcp = Character.toLowerCase(Character.toUpperCase(cp));
                if (Character.charCount(fcp) == 2) {
                    out[i] = Character.highSurrogate(fcp);
                    out[i + 1] = Character.lowSurrogate(fcp);
                    changed |= fcp != cp;
                } else {
                    out[i] = c;
                    out[i + 1] = s.charAt(i + 1);
                }
                i++;
                continue;
            } else {
                f = Character.toLowerCase(Character.toUpperCase(c));
            }
            out[i] = f;
            changed |= f != c;
        }
        return changed ? new String(out) : s.toString();
    }

    private static boolean isAscii(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            if (s.charAt(i) >= 128) {
                return false;
            }
        }
        return true;
    }
}
