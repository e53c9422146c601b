package dev.bulwark.policy.diff;

import dev.bulwark.policy.diff.PolicyDiff.Change;
import dev.bulwark.policy.diff.PolicyDiff.FolderTotals;
import dev.bulwark.policy.diff.PolicyDiff.Outcome;
import dev.bulwark.policy.diff.PolicyDiff.Result;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link PolicyDiff.Result} for people: plain text for a terminal, or Markdown tables for a pull
 * request. Both list the changed messages first (at most {@code maxListed}, then how many more),
 * then the totals per folder with each verdict's count before and after.
 */
public final class DiffReport {
    private DiffReport() {}

    /** Plain text: one line per changed message, then an aligned totals table. */
    public static String text(Result r, String oldName, String newName, int maxListed) {
        StringBuilder sb = new StringBuilder();
        sb.append("policy diff: ")
                .append(oldName)
                .append(" (")
                .append(short12(r.oldDigest()))
                .append(") -> ")
                .append(newName)
                .append(" (")
                .append(short12(r.newDigest()))
                .append(")\n");
        if (r.changed()) {
            sb.append("changed messages:\n");
            int listed = 0;
            for (Change c : r.changes()) {
                if (listed++ == maxListed) {
                    sb.append("  ... and ")
                            .append(r.changes().size() - maxListed)
                            .append(" more\n");
                    break;
                }
                sb.append("  ")
                        .append(c.folder())
                        .append('/')
                        .append(c.message())
                        .append(": ")
                        .append(verdict(c.before()));
                sb.append(c.verdictChanged() ? " -> " + verdict(c.after()) : " (unchanged)");
                sb.append(", score ")
                        .append(c.before().score())
                        .append(" -> ")
                        .append(c.after().score());
                if (c.bandChanged()) {
                    sb.append(" (band ")
                            .append(c.before().band())
                            .append(" -> ")
                            .append(c.after().band())
                            .append(')');
                }
                String rules = rules(c, "+", "-", "");
                if (!rules.isEmpty()) {
                    sb.append(", rules ").append(rules);
                }
                sb.append('\n');
            }
        }
        List<String> verdicts = verdictsSeen(r);
        List<String[]> rows = new ArrayList<>();
        List<String> head = new ArrayList<>(List.of("folder", "messages", "changed"));
        head.addAll(verdicts);
        rows.add(head.toArray(String[]::new));
        for (FolderTotals t : r.folders()) {
            rows.add(totalsRow(t, verdicts, " -> "));
        }
        sb.append("totals (before -> after):\n");
        int[] w = new int[head.size()];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                w[i] = Math.max(w[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder("  ");
            for (int i = 0; i < row.length; i++) {
                line.append(i == 0 ? pad(row[i], w[i]) : padLeft(row[i], w[i]));
                line.append("  ");
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        sb.append(summary(r)).append('\n');
        return sb.toString();
    }

    /**
     * GitHub-flavoured Markdown: a heading, a summary line, a table of changed messages and a table
     * of totals. Cell text is escaped, so a file name with a {@code |} cannot break a table.
     */
    public static String markdown(Result r, String oldName, String newName, int maxListed) {
        StringBuilder sb = new StringBuilder();
        sb.append("### Policy diff: `")
                .append(code(oldName))
                .append("` (")
                .append(short12(r.oldDigest()))
                .append(") → `")
                .append(code(newName))
                .append("` (")
                .append(short12(r.newDigest()))
                .append(")\n\n");
        sb.append("**").append(summary(r)).append("**\n\n");
        if (r.changed()) {
            sb.append("| folder | message | verdict | score | band | rules |\n");
            sb.append("|---|---|---|---:|---|---|\n");
            int listed = 0;
            for (Change c : r.changes()) {
                if (listed++ == maxListed) {
                    break;
                }
                sb.append("| ")
                        .append(cell(c.folder()))
                        .append(" | ")
                        .append(cell(c.message()))
                        .append(" | ")
                        .append(
                                c.verdictChanged()
                                        ? cell(verdict(c.before()))
                                                + " → **"
                                                + cell(verdict(c.after()))
                                                + "**"
                                        : cell(verdict(c.before())))
                        .append(" | ")
                        .append(c.before().score())
                        .append(" → ")
                        .append(c.after().score())
                        .append(" | ")
                        .append(
                                c.bandChanged()
                                        ? cell(c.before().band()) + " → " + cell(c.after().band())
                                        : cell(c.before().band()))
                        .append(" | ")
                        .append(rules(c, "+`", "−`", "`"))
                        .append(" |\n");
            }
            if (r.changes().size() > maxListed) {
                sb.append("\n… and ").append(r.changes().size() - maxListed).append(" more.\n");
            }
            sb.append('\n');
        }
        List<String> verdicts = verdictsSeen(r);
        sb.append("| folder | messages | changed |");
        verdicts.forEach(v -> sb.append(' ').append(v).append(" |"));
        sb.append("\n|---|---:|---:|");
        verdicts.forEach(v -> sb.append("---:|"));
        sb.append('\n');
        for (FolderTotals t : r.folders()) {
            String[] row = totalsRow(t, verdicts, " → ");
            sb.append('|');
            for (String cell : row) {
                sb.append(' ').append(cell(cell)).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String summary(Result r) {
        return r.changes().size()
                + " of "
                + r.messages()
                + " message(s) changed in "
                + r.folders().size()
                + " folder(s)";
    }

    /** The verdicts either policy gave in any folder, in the usual order. */
    private static List<String> verdictsSeen(Result r) {
        return PolicyDiff.VERDICTS.stream()
                .filter(
                        v ->
                                r.folders().stream()
                                        .anyMatch(t -> t.before().get(v) + t.after().get(v) > 0))
                .toList();
    }

    private static String[] totalsRow(FolderTotals t, List<String> verdicts, String arrow) {
        List<String> row = new ArrayList<>();
        row.add(t.folder());
        row.add(Integer.toString(t.messages()));
        row.add(Integer.toString(t.changed()));
        for (String v : verdicts) {
            int b = t.before().get(v);
            int a = t.after().get(v);
            row.add(b == a ? Integer.toString(b) : b + arrow + a);
        }
        return row.toArray(String[]::new);
    }

    private static String verdict(Outcome o) {
        return o.verdict() + " at " + o.stage();
    }

    private static String rules(Change c, String plus, String minus, String close) {
        List<String> parts = new ArrayList<>();
        c.rulesAdded().forEach(id -> parts.add(plus + code(id) + close));
        c.rulesRemoved().forEach(id -> parts.add(minus + code(id) + close));
        return String.join(" ", parts);
    }

    /** Table cell text: a pipe or a line break would end the cell or the row. */
    static String cell(String s) {
        return s.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ");
    }

    /** Inside backticks only a backtick or a pipe would break out. */
    private static String code(String s) {
        return s.replace("`", "'").replace("|", "\\|");
    }

    private static String short12(String digest) {
        return digest.length() > 12 ? digest.substring(0, 12) : digest;
    }

    private static String pad(String s, int w) {
        return s + " ".repeat(w - s.length());
    }

    private static String padLeft(String s, int w) {
        return " ".repeat(w - s.length()) + s;
    }
}
