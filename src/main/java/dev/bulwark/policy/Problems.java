package dev.bulwark.policy;

import java.util.ArrayList;
import java.util.List;

/** Collects diagnostics so that the compiler reports every problem, then fails once. */
final class Problems {
    private final List<Diagnostic> all = new ArrayList<>();

    void error(Pos pos, String message) {
        all.add(
                new Diagnostic(
                        pos.file(), pos.line(), pos.column(), Diagnostic.Severity.ERROR, message));
    }

    void warning(Pos pos, String message) {
        all.add(
                new Diagnostic(
                        pos.file(),
                        pos.line(),
                        pos.column(),
                        Diagnostic.Severity.WARNING,
                        message));
    }

    boolean hasErrors() {
        return all.stream().anyMatch(Diagnostic::isError);
    }

    int errorCount() {
        return (int) all.stream().filter(Diagnostic::isError).count();
    }

    List<Diagnostic> sorted() {
        return all.stream().distinct().sorted().toList();
    }
}
