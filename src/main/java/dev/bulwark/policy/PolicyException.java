package dev.bulwark.policy;

import java.util.List;
import java.util.stream.Collectors;

/** A policy that does not compile: every diagnostic found, errors and warnings, sorted. */
public final class PolicyException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient List<Diagnostic> diagnostics;

    PolicyException(List<Diagnostic> diagnostics) {
        super(diagnostics.stream().map(Diagnostic::toString).collect(Collectors.joining("\n")));
        this.diagnostics = List.copyOf(diagnostics);
    }

    /** Every diagnostic, sorted by file, line and column. */
    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    public List<Diagnostic> errors() {
        return diagnostics.stream().filter(Diagnostic::isError).toList();
    }
}
