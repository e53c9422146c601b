package dev.bulwark.classifier;

import dev.bulwark.check.mime.MimeParser;
import dev.bulwark.check.mime.ParsedMessage;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A trained model, loaded: immutable and shared by every transaction, like a compiled pattern.
 * {@link #score} gives a message's spam probability; the model's own bytes ({@link #bytes}, the
 * file {@link Trainer} wrote) and their {@link #sha256} are what the policy digest covers.
 *
 * <p>Thread-safe. Scoring allocates only per message.
 */
public final class Classifier {

    private final byte[] bytes;
    private final String sha256;
    private final ModelFormat.Data data;

    // Token hash -> entry, open addressing; entries are in the file's (ascending hash) order.
    private final long[] slots;
    private final int[] slotEntry;
    private final int mask;

    // robinson-fisher, per entry: ln p, ln (1 - p), the clue order key (strength, descending)
    private final double[] lnP;
    private final double[] lnNotP;
    private final int[] rank;
    private final int maxClues;

    // logistic
    private final double bias;

    private Classifier(byte[] bytes, ModelFormat.Data data) {
        this.bytes = bytes;
        this.data = data;
        this.sha256 = CorpusMessage.sha256(bytes);
        int n = data.keys().length;
        int cap = Integer.highestOneBit(Math.max(4, n * 2 - 1)) << 1;
        slots = new long[cap];
        slotEntry = new int[cap];
        mask = cap - 1;
        for (int e = 0; e < n; e++) {
            long k = data.keys()[e];
            int i = (int) k & mask;
            while (slots[i] != 0) {
                i = (i + 1) & mask;
            }
            slots[i] = k;
            slotEntry[i] = e;
        }
        if (data.algorithm() == Algorithm.ROBINSON_FISHER) {
            lnP = new double[n];
            lnNotP = new double[n];
            rank = new int[n];
            for (int e = 0; e < n; e++) {
                double p = data.values()[e];
                lnP[e] = StrictMath.log(p);
                lnNotP[e] = StrictMath.log1p(-p);
                // strength |p - 0.5| in [0, 0.5], as a sortable integer (higher: stronger)
                rank[e] = (int) StrictMath.round(StrictMath.abs(p - 0.5) * (1 << 30));
            }
            maxClues = (int) data.parameters()[3];
            bias = 0;
        } else {
            lnP = null;
            lnNotP = null;
            rank = null;
            maxClues = 0;
            bias = data.parameters()[0];
        }
    }

    /**
     * Loads a model file.
     *
     * @throws ModelFormatException when the bytes are not a complete model of this format and
     *     feature version
     */
    public static Classifier load(byte[] model) throws ModelFormatException {
        byte[] copy = model.clone();
        ModelFormat.Data data = ModelFormat.read(copy);
        validate(data);
        return new Classifier(copy, data);
    }

    static Classifier of(ModelFormat.Data data) {
        byte[] b = ModelFormat.write(data);
        return new Classifier(b, data);
    }

    private static void validate(ModelFormat.Data d) throws ModelFormatException {
        double[] p = d.parameters();
        switch (d.algorithm()) {
            case ROBINSON_FISHER -> {
                if (p.length != 4 || p[3] < 1 || p[3] > 10_000 || p[3] != Math.rint(p[3])) {
                    throw new ModelFormatException("bad robinson-fisher parameters");
                }
                for (float v : d.values()) {
                    if (!(v > 0f && v < 1f)) {
                        throw new ModelFormatException("token probability outside (0, 1): " + v);
                    }
                }
            }
            case LOGISTIC -> {
                if (p.length != 1) {
                    throw new ModelFormatException("bad logistic parameters");
                }
            }
        }
    }

    /** The model file: the bytes the build embeds and the policy digest covers. A copy. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** SHA-256 of {@link #bytes}, lower-case hex. */
    public String sha256() {
        return sha256;
    }

    public Algorithm algorithm() {
        return data.algorithm();
    }

    /** How many messages of the class the model was trained on. */
    public int trainedOn(Label label) {
        return label == Label.HAM ? data.ham() : data.spam();
    }

    /** The {@link Corpus#digest} of the training mail. */
    public String corpusDigest() {
        return HexFormat.of().formatHex(data.corpusDigest());
    }

    /** How many tokens carry a weight. */
    public int tokens() {
        return data.keys().length;
    }

    /** Scores a message already parsed; {@code raw} is the message as received. */
    public Score score(byte[] raw, ParsedMessage parsed) {
        return new Score(this, raw, parsed, probability(TokenHashes.of(raw, parsed)));
    }

    /** Parses and scores a message as received. */
    public Score score(byte[] raw) {
        return score(raw, MimeParser.parse(raw));
    }

    /** The spam probability of a message's distinct token hashes. */
    double probability(long[] tokens) {
        return data.algorithm() == Algorithm.ROBINSON_FISHER
                ? robinsonFisher(tokens, null)
                : logistic(tokens, null);
    }

    /**
     * How much each token moved the score, in log-odds, into {@code weights} (parallel to {@code
     * tokens}; 0 for a token that did not count). Returns the probability.
     */
    double explain(long[] tokens, double[] weights) {
        return data.algorithm() == Algorithm.ROBINSON_FISHER
                ? robinsonFisher(tokens, weights)
                : logistic(tokens, weights);
    }

    private int entry(long hash) {
        int i = (int) hash & mask;
        while (true) {
            long k = slots[i];
            if (k == hash) {
                return slotEntry[i];
            }
            if (k == 0) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    private double robinsonFisher(long[] tokens, double[] weights) {
        // Only tokens stored in the model are clues (training kept those at least the minimum
        // strength away from 0.5). Of more than maxClues, the strongest count, ties by hash.
        long[] clues = new long[tokens.length];
        int n = 0;
        for (int t = 0; t < tokens.length; t++) {
            int e = entry(tokens[t]);
            if (e >= 0) {
                clues[n++] = ((long) ((1 << 30) - rank[e]) << 32) | e;
            }
        }
        if (n > maxClues) {
            Arrays.sort(clues, 0, n);
            n = maxClues;
        }
        if (n == 0) {
            return 0.5;
        }
        double lnH = 0;
        double lnS = 0;
        for (int c = 0; c < n; c++) {
            int e = (int) clues[c];
            lnH += lnP[e];
            lnS += lnNotP[e];
        }
        double s = 1.0 - chi2Q(-2.0 * lnS, 2 * n);
        double h = 1.0 - chi2Q(-2.0 * lnH, 2 * n);
        double p = (s - h + 1.0) / 2.0;
        if (weights != null) {
            Arrays.fill(weights, 0);
            for (int t = 0; t < tokens.length; t++) {
                int e = entry(tokens[t]);
                if (e >= 0 && counted(clues, n, e)) {
                    weights[t] = lnP[e] - lnNotP[e];
                }
            }
        }
        return p;
    }

    private static boolean counted(long[] clues, int n, int entry) {
        for (int c = 0; c < n; c++) {
            if ((int) clues[c] == entry) {
                return true;
            }
        }
        return false;
    }

    /**
     * The probability that a chi-squared variable with {@code v} (even) degrees of freedom is at
     * least {@code x2}: SpamBayes' chi2Q, in StrictMath so every machine gets the same bits.
     */
    static double chi2Q(double x2, int v) {
        double m = x2 / 2.0;
        double term = StrictMath.exp(-m);
        double sum = term;
        for (int i = 1; i < v / 2; i++) {
            term *= m / i;
            sum += term;
        }
        return Math.min(sum, 1.0);
    }

    private double logistic(long[] tokens, double[] weights) {
        double z = bias;
        for (int t = 0; t < tokens.length; t++) {
            int e = entry(tokens[t]);
            if (e >= 0) {
                double w = data.values()[e];
                z += w;
                if (weights != null) {
                    weights[t] = w;
                }
            } else if (weights != null) {
                weights[t] = 0;
            }
        }
        return sigmoid(z);
    }

    static double sigmoid(double z) {
        return 1.0 / (1.0 + StrictMath.exp(-z));
    }
}
