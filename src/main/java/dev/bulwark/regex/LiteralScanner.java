package dev.bulwark.regex;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Aho-Corasick over the literals of every prefiltered pattern: one pass over a text finds which of
 * them it contains, so that N patterns cost one scan plus the patterns whose literals are present.
 * ASCII transitions are a dense table; other characters follow failure links.
 */
public final class LiteralScanner {

    private final Map<String, Integer> ids = new HashMap<>();
    private final int[] ascii; // state * 128 + c -> state
    private final List<Map<Character, Integer>> other = new ArrayList<>();
    private final int[] fail;
    private final int[][] outputs;

    /**
     * No literal has a character beyond ASCII: any such character sends the automaton to its root.
     */
    private final boolean asciiOnly;

    /** An automaton for these literals (folded: see {@link Regex#literals()}). */
    public LiteralScanner(Set<String> literals) {
        List<int[]> gotoAscii = new ArrayList<>();
        List<List<Integer>> out = new ArrayList<>();
        gotoAscii.add(filled());
        other.add(new HashMap<>());
        out.add(new ArrayList<>());
        for (String lit : literals) {
            int id = ids.size();
            ids.put(lit, id);
            int s = 0;
            for (int i = 0; i < lit.length(); i++) {
                char c = lit.charAt(i);
                int next = c < 128 ? gotoAscii.get(s)[c] : other.get(s).getOrDefault(c, -1);
                if (next < 0) {
                    next = gotoAscii.size();
                    gotoAscii.add(filled());
                    other.add(new HashMap<>());
                    out.add(new ArrayList<>());
                    if (c < 128) {
                        gotoAscii.get(s)[c] = next;
                    } else {
                        other.get(s).put(c, next);
                    }
                }
                s = next;
            }
            out.get(s).add(id);
        }
        int n = gotoAscii.size();
        fail = new int[n];
        ascii = new int[n * 128];
        // Breadth-first: failure links, and complete the ASCII table into a DFA.
        int[] queue = new int[n];
        int head = 0;
        int tail = 0;
        for (int c = 0; c < 128; c++) {
            int t = gotoAscii.get(0)[c];
            ascii[c] = Math.max(t, 0);
            if (t > 0) {
                fail[t] = 0;
                queue[tail++] = t;
            }
        }
        for (var e : other.get(0).entrySet()) {
            fail[e.getValue()] = 0;
            queue[tail++] = e.getValue();
        }
        while (head < tail) {
            int s = queue[head++];
            out.get(s).addAll(out.get(fail[s]));
            for (int c = 0; c < 128; c++) {
                int t = gotoAscii.get(s)[c];
                if (t > 0) {
                    fail[t] = ascii[fail[s] * 128 + c];
                    queue[tail++] = t;
                    ascii[s * 128 + c] = t;
                } else {
                    ascii[s * 128 + c] = ascii[fail[s] * 128 + c];
                }
            }
            for (var e : other.get(s).entrySet()) {
                fail[e.getValue()] = otherStep(fail[s], e.getKey());
                queue[tail++] = e.getValue();
            }
        }
        asciiOnly = other.stream().allMatch(Map::isEmpty);
        outputs = new int[n][];
        for (int s = 0; s < n; s++) {
            outputs[s] = out.get(s).stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private static int[] filled() {
        int[] a = new int[128];
        Arrays.fill(a, -1);
        return a;
    }

    private int otherStep(int s, char c) {
        if (asciiOnly) {
            return 0;
        }
        while (true) {
            Integer t = other.get(s).get(c);
            if (t != null) {
                return t;
            }
            if (s == 0) {
                return 0;
            }
            s = fail[s];
        }
    }

    /**
     * Which (ASCII) literals occur in raw bytes: ASCII letters folded, and the two non-ASCII
     * characters that case-insensitive matching equates with ASCII letters read as those letters.
     */
    public Predicate<String> scanAscii(byte[] bytes) {
        boolean[] found = new boolean[ids.size()];
        int s = 0;
        int[] table = ascii;
        for (int i = 0, n = bytes.length; i < n; i++) {
            int c = bytes[i] & 0xff;
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            } else if (c == 0xe2
                    && i + 2 < n
                    && bytes[i + 1] == (byte) 0x84
                    && bytes[i + 2] == (byte) 0xaa) {
                c = 'k'; // U+212A KELVIN SIGN in UTF-8: matches k case-insensitively
                i += 2;
            } else if (c == 0xc5 && i + 1 < n && bytes[i + 1] == (byte) 0xbf) {
                c = 's'; // U+017F LATIN SMALL LETTER LONG S: matches s case-insensitively
                i += 1;
            }
            s = c < 128 ? table[s * 128 + c] : otherStep(s, (char) c);
            int[] o = outputs[s];
            for (int id : o) {
                found[id] = true;
            }
        }
        return lit -> {
            Integer id = ids.get(lit);
            return id == null || found[id];
        };
    }

    /** Which literals occur in the (folded) text. */
    public Predicate<String> scan(String text) {
        boolean[] found = new boolean[ids.size()];
        int s = 0;
        int[] table = ascii;
        char[] chars = text.toCharArray(); // no bounds check per character
        for (char c : chars) {
            s = c < 128 ? table[s * 128 + c] : otherStep(s, c);
            int[] o = outputs[s];
            for (int id : o) {
                found[id] = true;
            }
        }
        return lit -> {
            Integer id = ids.get(lit);
            return id == null || found[id];
        };
    }
}
