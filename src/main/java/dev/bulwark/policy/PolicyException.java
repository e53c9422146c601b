package dev.bulwark.policy;

import java.util.List;
import java.util.stream.Collectors;

/** A policy that does not compile: every diagnostic found, errors and warnings, sorted. */
public final class PolicyException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient List<Diagnostic> diagnostics;
    private final String report;

    PolicyException(List<Diagnostic> diagnostics) {
        this(diagnostics, "");
    }

    /** A failure with a report to print before the diagnostics (a failed gate's table). */
    PolicyException(List<Diagnostic> diagnostics, String report) {
        super(diagnostics.stream().map(Diagnostic::toString).collect(Collectors.joining("\n")));
        this.diagnostics = List.copyOf(diagnostics);
        this.report = report;
    }

    /**
     * What the compiler has to say besides the diagnostics, empty if nothing: the classifier's
     * cross-validation table when the model is below its bar.
     */
    public String report() {
        return report;
    }

    /** Every diagnostic, sorted by file, line and column. */
    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    public List<Diagnostic> errors() {
        return diagnostics.stream().filter(Diagnostic::isError).toList();
    }
}
