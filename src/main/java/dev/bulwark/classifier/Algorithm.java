package dev.bulwark.classifier;

/**
 * How a model turns a message's tokens into a probability (src/adr/0014-build-time-classifier.md).
 */
public enum Algorithm {
    /**
     * Gary Robinson's token probabilities with Fisher's chi-squared combining, as SpamBayes and
     * bogofilter do: the 150 strongest tokens of a message, each a smoothed spam probability.
     */
    ROBINSON_FISHER("robinson-fisher", 1),
    /**
     * Logistic regression over token presence, trained by AdaGrad with L2 regularisation: a weight
     * per token, every token of the message counts.
     */
    LOGISTIC("logistic", 2);

    private final String word;
    private final int code;

    Algorithm(String word, int code) {
        this.word = word;
        this.code = code;
    }

    /** The name in the policy language and in reports. */
    public String word() {
        return word;
    }

    int code() {
        return code;
    }

    /** The algorithm named {@code word}, or null. */
    public static Algorithm named(String word) {
        for (Algorithm a : values()) {
            if (a.word.equals(word)) {
                return a;
            }
        }
        return null;
    }

    static Algorithm ofCode(int code) {
        for (Algorithm a : values()) {
            if (a.code == code) {
                return a;
            }
        }
        return null;
    }
}
