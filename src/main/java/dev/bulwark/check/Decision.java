package dev.bulwark.check;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one stage: the verdict, the rules that fired (shadow hits included), and the
 * transaction's running score after this stage.
 */
public record Decision(Verdict verdict, List<Hit> hits, Score score) {

    public Decision {
        Objects.requireNonNull(verdict, "verdict");
        hits = List.copyOf(hits);
        Objects.requireNonNull(score, "score");
    }

    private static final Decision NONE = new Decision(Verdict.CONTINUE, List.of(), Score.ZERO);

    /** No rule fired and nothing was decided. */
    public static Decision none() {
        return NONE;
    }

    public static Decision of(Verdict verdict, Hit... hits) {
        return new Decision(verdict, List.of(hits), Score.ZERO);
    }

    /** The same decision with the running score {@code total}. */
    public Decision withScore(Score total) {
        return new Decision(verdict, hits, total);
    }
}
