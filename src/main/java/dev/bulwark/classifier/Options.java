package dev.bulwark.classifier;

import java.util.Objects;

/**
 * How to train: the algorithm and the one knob a site may want, the minimum number of training
 * messages a token must appear in to get a weight (rarer tokens are noise and bloat the model).
 */
public record Options(Algorithm algorithm, int minimumCount) {

    public Options {
        Objects.requireNonNull(algorithm, "algorithm");
        if (minimumCount < 1) {
            throw new IllegalArgumentException(
                    minimumCount + " is not a valid minimum count: it must be at least 1");
        }
    }

    /** What the starting policy uses (chosen by measurement: src/adr/0014). */
    public static Options defaults() {
        return new Options(Algorithm.LOGISTIC, 2);
    }

    public Options withAlgorithm(Algorithm a) {
        return new Options(a, minimumCount);
    }
}
