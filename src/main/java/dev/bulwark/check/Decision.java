package dev.bulwark.check;

import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The outcome of one stage: the verdict, the rules that fired (shadow hits included), the
 * transaction's running score after this stage, and at DATA the classifier's spam probability of
 * the message when the policy has a classifier.
 */
public record Decision(Verdict verdict, List<Hit> hits, Score score, OptionalDouble classifier) {

    public Decision {
        Objects.requireNonNull(verdict, "verdict");
        hits = List.copyOf(hits);
        Objects.requireNonNull(score, "score");
        Objects.requireNonNull(classifier, "classifier");
    }

    /** A decision without a classifier's probability. */
    public Decision(Verdict verdict, List<Hit> hits, Score score) {
        this(verdict, hits, score, OptionalDouble.empty());
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
        return new Decision(verdict, hits, total, classifier);
    }

    /** The same decision with the classifier's spam probability of the message. */
    public Decision withClassifier(double probability) {
        return new Decision(verdict, hits, score, OptionalDouble.of(probability));
    }
}
