package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code bulwark policy diff} over two small policies (the new one scores an offer in the subject 5
 * instead of 3) and a four-message corpus, through the real flow.
 */
class PolicyDiffCommandTest {

    private static final String DIR = "src/test/resources/diff/";
    private static final String OLD = DIR + "old";
    private static final String NEW = DIR + "new";
    private static final String HAM = DIR + "corpus/ham";
    private static final String SPAM = DIR + "corpus/spam";

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    private int diff(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "policy";
        all[1] = "diff";
        System.arraycopy(args, 0, all, 2, args.length);
        return Cli.run(all, out, err);
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void listsTheMessageWhoseVerdictChangedAndExitsOne() {
        int code = diff(OLD, NEW, "--corpus", HAM, SPAM);

        assertThat(code).as(err()).isEqualTo(1);
        assertThat(out())
                .contains(
                        HAM
                                + "/02-offer.txt: deliver at data -> tag at data, score 3 -> 5"
                                + " (band <4 -> 4..8)");
        // The other three keep their verdict, band and rules: not listed.
        assertThat(out()).doesNotContain("01-lunch.txt", "01-offer-pills.txt", "02-pills.txt");
        assertThat(out()).contains("1 of 4 message(s) changed in 2 folder(s)");
        List<String> hamRow = out().lines().filter(l -> l.strip().startsWith(HAM)).toList();
        assertThat(hamRow).hasSize(2); // the change and the totals row
        assertThat(hamRow.get(1)).matches(" +" + HAM + " +2 +1 +2 -> 1 +0 -> 1 +0");
        assertThat(err()).contains("compared 4 message(s) under both policies");
    }

    @Test
    void reportsTheRulesThatStartOrStopFiring() {
        int code = diff(NEW, DIR + "without-offer", "--corpus", SPAM);

        assertThat(code).isEqualTo(1);
        assertThat(out())
                .contains(
                        SPAM
                                + "/01-offer-pills.txt: quarantine at data -> tag at data, score"
                                + " 10 -> 5 (band 8..11 -> 4..8), rules +threshold:tag"
                                + " -offer-subject -threshold:quarantine");
    }

    @Test
    void reportsTheSameWhateverTheNumberOfWorkers() {
        diff(OLD, NEW, "--corpus", HAM, SPAM, "--jobs", "1");
        String one = out();
        outBytes.reset();

        diff(OLD, NEW, "--corpus", HAM, SPAM, "--jobs", "3");

        assertThat(out()).isEqualTo(one);
        assertThat(err()).contains("on 1 thread(s)").contains("on 3 thread(s)");
    }

    @Test
    void exitsZeroWhenNoMessageChanges() {
        int code = diff(OLD, OLD, "--corpus", HAM, SPAM);

        assertThat(code).as(err()).isZero();
        assertThat(out()).contains("0 of 4 message(s) changed in 2 folder(s)");
        assertThat(out()).doesNotContain("changed messages:");
    }

    @Test
    void aScoreMovingInsideItsBandIsNoChange() {
        // 01-offer-pills.txt scores 8 under the old policy and 10 under the new: quarantine both.
        int code = diff(OLD, NEW, "--corpus", SPAM);

        assertThat(code).as(out()).isZero();
    }

    @Test
    void writesWellFormedMarkdownTables() {
        int code = diff(OLD, NEW, "--corpus", HAM, SPAM, "--format", "markdown");

        assertThat(code).isEqualTo(1);
        List<String> lines = out().lines().toList();
        assertThat(lines.getFirst()).startsWith("### Policy diff: `" + OLD + "` (");
        assertThat(out()).contains("**1 of 4 message(s) changed in 2 folder(s)**");
        // Every table: a header row, a delimiter row with as many cells, rows with as many cells.
        List<List<String>> tables = tables(lines);
        assertThat(tables).hasSize(2);
        for (List<String> t : tables) {
            int columns = cells(t.get(0));
            assertThat(t.get(1)).matches("\\|(-+:?\\|)+");
            for (String row : t) {
                assertThat(cells(row)).as(row).isEqualTo(columns);
            }
        }
        assertThat(tables.get(0).get(2))
                .isEqualTo(
                        "| "
                                + HAM
                                + " | 02-offer.txt | deliver at data → **tag at data** | 3 → 5 |"
                                + " <4 → 4..8 | +`threshold:tag` |");
        assertThat(tables.get(1).get(0))
                .isEqualTo("| folder | messages | changed | deliver | tag | quarantine |");
        assertThat(tables.get(1).get(2)).isEqualTo("| " + HAM + " | 2 | 1 | 2 → 1 | 0 → 1 | 0 |");
    }

    @Test
    void refusesABrokenNewPolicyWithItsDiagnosticsAndExit65() {
        int code = diff(OLD, DIR + "broken", "--corpus", HAM);

        assertThat(code).isEqualTo(65);
        assertThat(err())
                .containsPattern(
                        "(?m)^src/test/resources/diff/broken/inbound\\.yaml:12:\\d+: error: ")
                .contains("subject-contain");
        assertThat(out()).isEmpty();
    }

    @Test
    void refusesBadUsageWithExitTwo() {
        assertThat(diff(OLD, NEW)).isEqualTo(2);
        assertThat(err()).contains("Missing required option: '--corpus=FOLDER'");
        assertThat(diff(OLD, "--corpus", HAM)).isEqualTo(2);
        assertThat(diff(OLD, NEW, "--corpus", HAM, "--format", "html")).isEqualTo(2);
        assertThat(err()).contains("Invalid value for option '--format'").contains("html");
    }

    @Test
    void aMissingCorpusFolderIsNamed() {
        int code = diff(OLD, NEW, "--corpus", DIR + "corpus/none");

        assertThat(code).isEqualTo(66);
        assertThat(err()).contains(DIR + "corpus/none: no such file or folder");
    }

    /** The Markdown tables of a document: runs of lines that start with '|'. */
    private static List<List<String>> tables(List<String> lines) {
        List<List<String>> tables = new java.util.ArrayList<>();
        List<String> current = null;
        for (String l : lines) {
            if (l.startsWith("|")) {
                if (current == null) {
                    current = new java.util.ArrayList<>();
                    tables.add(current);
                }
                current.add(l);
            } else {
                current = null;
            }
        }
        return tables;
    }

    /** Cells of a table row; an escaped pipe is text, not a separator. */
    private static int cells(String row) {
        assertThat(row).startsWith("|").endsWith("|");
        return row.replace("\\|", "").split("\\|", -1).length - 2;
    }
}
