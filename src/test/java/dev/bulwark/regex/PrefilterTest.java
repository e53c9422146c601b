package dev.bulwark.regex;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;

/** The literal prefilter must never rule out a text the pattern matches. */
class PrefilterTest {

    @Test
    void extractsRequiredLiterals() {
        assertThat(Prefilter.of("removed\\s+from").toString()).isEqualTo("and['removed', 'from']");
        assertThat(Prefilter.of("(verify|confirm) your").toString())
                .isEqualTo("or['verify your', 'confirm your']");
        assertThat(Prefilter.of("multi-?level").toString())
                .isEqualTo("or['multi-level', 'multilevel']");
        assertThat(Prefilter.of("u\\.s\\.\\s*dollars?").toString())
                .isEqualTo("and['u.s.', or['dollars', 'dollar']]");
        assertThat(Prefilter.of("(?i)Kelvin").toString()).as("folded").isEqualTo("'kelvin'");
        assertThat(Prefilter.of("ab+c").toString())
                .as("literals shorter than 3 say nothing")
                .isEqualTo("true");
        assertThat(Prefilter.of("x*")).isEqualTo(Prefilter.TRUE);
        assertThat(Prefilter.of("a|bcd")).isEqualTo(Prefilter.TRUE);
        assertThat(Prefilter.of("\\x41BC"))
                .as("unsupported syntax gives no filter")
                .isEqualTo(Prefilter.TRUE);
    }

    private static final List<String> PATTERNS =
            List.of(
                    "removed\\s+from",
                    "(to\\s+be|wish)\\s+removed",
                    "multi-?level\\s+marketing",
                    "u\\.s\\.\\s*dollars?",
                    "\\bfree\\s+(trial|gift)\\b",
                    "click\\s+here\\s+to\\s+(be\\s+removed|opt[\\s-]?out)",
                    "[0-9]+%\\s+off",
                    "(?i)sale(s)?\\s+now",
                    "(?:abc|abd)(?:e|f)g{2,}",
                    "x(yz)*w+abc",
                    "bill\\s*s\\.?\\s*1618",
                    "k+ss",
                    "(?P<n>hello)\\s+world",
                    "^start|end$",
                    "\\bfree\\b|\\bgift\\s+card|x\\b",
                    "(?i)abc|straße",
                    "\\Bbill|dollars?\\b",
                    "\\b(free|gift)\\s+(card|trial)\\b",
                    "x(abc|efg)+y",
                    "(?:removed|gift)\\s+from",
                    "\uD801\uDC28\uD801\uDC29x",
                    "[a-z]+ing\\s+now",
                    "\\bACT\\s+now\\b",
                    "[A-Z]{3}\\s+CARD",
                    "\\Wfree\\W",
                    "\\d+%\\s+off",
                    "caf.\\s+noir",
                    "(earn|make)\\s+(up\\s+to\\s+)?\\$?[0-9]+\\s*(per|a)\\s+(day|week)",
                    "(a|b)*(c|d)+(e|f)",
                    "caf[eé]\\s+noir",
                    "Straße",
                    "[^a]bcd[a-c]+efg");

    private static final String[] PIECES = {
        "removed",
        "from",
        "to",
        "be",
        "wish",
        " ",
        "  ",
        "\n",
        "multi",
        "-",
        "level",
        "marketing",
        "u.s.",
        "dollar",
        "s",
        "free",
        "trial",
        "gift",
        "click",
        "here",
        "opt",
        "out",
        "10",
        "%",
        "off",
        "SALE",
        "now",
        "abc",
        "abd",
        "e",
        "f",
        "g",
        "gg",
        "x",
        "yz",
        "w",
        "bill",
        "1618",
        ".",
        "k",
        "\u212a",
        "\u017f",
        "S",
        "hello",
        "world",
        "start",
        "end",
        "café",
        "cafe",
        "noir",
        "STRASSE",
        "straße",
        "bcd",
        "efg",
        "a",
        "b",
        "c",
        "card",
        "dollars",
        "xfree",
        "\\",
        "|",
        "ACT",
        "act",
        "NOW",
        "CARD",
        "ING",
        "K",
        "!",
        "7",
        "\uD801\uDC00\uD801\uDC01X",
        "\uD801\uDC28\uD801\uDC29x"
    };

    @Test
    void splitsTopLevelAlternativesUnlessFlagsCouldSpanThem() {
        assertThat(Rewrites.branches("a(b|c)|[|]d|e\\|f"))
                .containsExactly("a(?:b)", "a(?:c)", "[|]d", "e\\|f");
        assertThat(Rewrites.branches("(?i)a|b")).containsExactly("(?i)a|b");
        assertThat(Rewrites.branches("\\b(act|order)\\s+now\\b"))
                .containsExactly("\\b(?:act)\\s+now\\b", "\\b(?:order)\\s+now\\b");
        assertThat(Rewrites.branches("x(a|b)+y")).containsExactly("x(a|b)+y");
        assertThat(Rewrites.branches("(a|b)(c|d)"))
                .containsExactly("(?:a)(?:c)", "(?:a)(?:d)", "(?:b)(?:c)", "(?:b)(?:d)");
        assertThat(Rewrites.branches("(a|b)*(c|d)")).containsExactly("(a|b)*(?:c)", "(a|b)*(?:d)");
        assertThat(Rewrites.withoutWordBoundaries("\\bfree\\B[\\b]\\\\b"))
                .isEqualTo("free[\\b]\\\\b");
        assertThat(Rewrites.withoutWordBoundaries("plain")).isNull();
        assertThat(Rewrites.foldedCheck("\\bAct\\s+NOW[a-z]\\b")).isEqualTo("act\\s+now[a-z]");
        assertThat(Rewrites.foldedCheck("[A-Z]+"))
                .as("upper case classes cannot run on folded text")
                .isNull();
        assertThat(Rewrites.foldedCheck("\\W")).isNull();
    }

    @Test
    void neverRulesOutAMatchingText() {
        Random random = new Random(7);
        int matched = 0;
        for (String pattern : PATTERNS) {
            for (boolean caseSensitive : new boolean[] {true, false}) {
                Regex regex = Regex.compile(pattern, caseSensitive);
                LiteralScanner scanner = new LiteralScanner(regex.literals());
                for (int i = 0; i < 6000; i++) {
                    StringBuilder sb = new StringBuilder();
                    int n = 1 + random.nextInt(12);
                    for (int k = 0; k < n; k++) {
                        String piece = PIECES[random.nextInt(PIECES.length)];
                        sb.append(
                                random.nextInt(4) == 0
                                        ? piece.toUpperCase(java.util.Locale.ROOT)
                                        : piece);
                    }
                    String text = sb.toString();
                    boolean full = regex.findWhole(text).isPresent();
                    if (full) {
                        matched++;
                        assertThat(regex.prefilter().mayMatch(scanner.scan(Fold.fold(text))))
                                .as(
                                        "/%s/ (case-sensitive %s) matches %s",
                                        pattern, caseSensitive, text)
                                .isTrue();
                    }
                    assertThat(
                                    regex.find(text, Fold.fold(text), scanner.scan(Fold.fold(text)))
                                            .isPresent())
                            .as(
                                    "branch-wise /%s/ (case-sensitive %s) on %s",
                                    pattern, caseSensitive, text)
                            .isEqualTo(full);
                    assertThat(regex.find(text).isPresent())
                            .as("short-text /%s/ on %s", pattern, text)
                            .isEqualTo(full);
                }
            }
        }
        assertThat(matched).as("the generator produces matches").isGreaterThan(600);
    }

    @Test
    void scannerFindsEveryOccurringLiteralIncludingOverlapsAndNonAscii() {
        LiteralScanner s =
                new LiteralScanner(
                        new LinkedHashSet<>(List.of("he", "she", "hers", "his", "café", "ßx")));
        var found = s.scan("ushers and a café ßx");
        assertThat(List.of("he", "she", "hers", "café", "ßx")).allMatch(found::test);
        assertThat(found.test("his")).isFalse();
        assertThat(found.test("unknown"))
                .as("a literal the scanner does not know counts as present")
                .isTrue();
    }
}
