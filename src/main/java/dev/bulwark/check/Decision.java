package dev.bulwark.check;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one stage: the verdict, the rules that fired (shadow hits included), and the
 * transaction's running score after this stage.
 */
public record Decision(Verdict verdict, List<Hit> hits, double score) {

    public Decision {
        Objects.requireNonNull(verdict, "verdict");
        hits = List.copyOf(hits);
    }

    private static final Decision NONE = new Decision(Verdict.CONTINUE, List.of(), 0);

    /** No rule fired and nothing was decided. */
    public static Decision none() {
        return NONE;
    }

    public static Decision of(Verdict verdict, Hit... hits) {
        return new Decision(verdict, List.of(hits), 0);
    }
}
