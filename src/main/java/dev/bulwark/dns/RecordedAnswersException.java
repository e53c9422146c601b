package dev.bulwark.dns;

import java.util.List;

/**
 * A file of recorded answers that cannot be read: every problem, in the diagnostic format editors
 * and CI annotators parse ({@code file:line:column: error: message}), sorted by position.
 */
public final class RecordedAnswersException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<String> diagnostics;

    public RecordedAnswersException(List<String> diagnostics) {
        super(String.join("\n", diagnostics));
        this.diagnostics = List.copyOf(diagnostics);
    }

    public List<String> diagnostics() {
        return diagnostics;
    }
}
