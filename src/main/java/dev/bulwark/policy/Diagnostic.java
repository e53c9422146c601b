package dev.bulwark.policy;

import java.util.Comparator;
import java.util.Objects;

/**
 * One problem found in a policy, printed the way editors and CI annotators parse it: {@code
 * policy/inbound.yaml:14:9: error: message}. Lines and columns count from 1.
 */
public record Diagnostic(String file, int line, int column, Severity severity, String message)
        implements Comparable<Diagnostic> {

    public enum Severity {
        ERROR,
        WARNING;

        String label() {
            return this == ERROR ? "error" : "warning";
        }
    }

    private static final Comparator<Diagnostic> ORDER =
            Comparator.comparing(Diagnostic::file)
                    .thenComparingInt(Diagnostic::line)
                    .thenComparingInt(Diagnostic::column)
                    .thenComparing(Diagnostic::severity)
                    .thenComparing(Diagnostic::message);

    public Diagnostic {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(message, "message");
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    @Override
    public int compareTo(Diagnostic o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + severity.label() + ": " + message;
    }
}
