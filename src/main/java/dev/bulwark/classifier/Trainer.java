package dev.bulwark.classifier;

import dev.bulwark.check.mime.MimeParser;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Trains a model from a corpus, deterministically: the same messages give the same model bytes on
 * any machine. Nothing depends on hash-map iteration order (tokens are processed in ascending hash
 * order), the only randomness is a fixed-seed SplitMix64, and every transcendental function is
 * StrictMath, whose results Java specifies to the bit.
 */
public final class Trainer {
    private Trainer() {}

    // robinson-fisher (SpamBayes' defaults)
    static final double UNKNOWN_PROBABILITY = 0.5;
    static final double STRENGTH = 0.45;
    static final double MINIMUM_STRENGTH = 0.1;
    static final int MAX_CLUES = 150;

    // logistic
    static final int EPOCHS = 30;
    static final double LEARNING_RATE = 0.1;
    static final double L2 = 1e-3;
    static final long SEED = 0x9E3779B97F4A7C15L;

    /** One message as training sees it: its distinct token hashes and its class. */
    record Example(long[] tokens, Label label) {}

    /** Trains on every message of the corpus. */
    public static Classifier train(Corpus corpus, Options options) {
        return train(examples(corpus.messages()), options, corpus.digest());
    }

    static List<Example> examples(List<CorpusMessage> messages) {
        List<Example> out = new ArrayList<>(messages.size());
        for (CorpusMessage m : messages) {
            out.add(example(m));
        }
        return out;
    }

    static Example example(CorpusMessage m) {
        return new Example(TokenHashes.of(m.bytes(), MimeParser.parse(m.bytes())), m.label());
    }

    static Classifier train(List<Example> examples, Options options, String corpusDigest) {
        byte[] digest = HexFormat.of().parseHex(corpusDigest);
        int ham = 0;
        int spam = 0;
        for (Example e : examples) {
            if (e.label() == Label.HAM) {
                ham++;
            } else {
                spam++;
            }
        }
        Vocabulary v = Vocabulary.of(examples, options.minimumCount());
        ModelFormat.Data data =
                switch (options.algorithm()) {
                    case ROBINSON_FISHER -> robinsonFisher(v, ham, spam, digest);
                    case LOGISTIC -> logistic(v, examples, ham, spam, digest);
                };
        return Classifier.of(data);
    }

    /**
     * The tokens seen in at least {@code minimumCount} messages, in ascending hash order, with the
     * number of ham and spam messages each is in.
     */
    record Vocabulary(long[] keys, int[] hamCount, int[] spamCount, Map<Long, Integer> index) {

        static Vocabulary of(List<Example> examples, int minimumCount) {
            Map<Long, int[]> counts = new HashMap<>();
            for (Example e : examples) {
                int c = e.label() == Label.HAM ? 0 : 1;
                for (long t : e.tokens()) {
                    counts.computeIfAbsent(t, k -> new int[2])[c]++;
                }
            }
            long[] keys =
                    counts.entrySet().stream()
                            .filter(en -> en.getValue()[0] + en.getValue()[1] >= minimumCount)
                            .mapToLong(Map.Entry::getKey)
                            .sorted()
                            .toArray();
            int[] h = new int[keys.length];
            int[] s = new int[keys.length];
            Map<Long, Integer> index = new HashMap<>(keys.length * 2);
            for (int i = 0; i < keys.length; i++) {
                int[] c = counts.get(keys[i]);
                h[i] = c[0];
                s[i] = c[1];
                index.put(keys[i], i);
            }
            return new Vocabulary(keys, h, s, index);
        }
    }

    /**
     * Gary Robinson's smoothed spam probability per token, kept when it is at least {@link
     * #MINIMUM_STRENGTH} away from 0.5 (weaker tokens are never clues).
     */
    private static ModelFormat.Data robinsonFisher(Vocabulary v, int ham, int spam, byte[] digest) {
        List<Long> keys = new ArrayList<>();
        List<Float> values = new ArrayList<>();
        for (int i = 0; i < v.keys().length; i++) {
            double hamRatio = ham == 0 ? 0 : (double) v.hamCount()[i] / ham;
            double spamRatio = spam == 0 ? 0 : (double) v.spamCount()[i] / spam;
            double p = spamRatio / (hamRatio + spamRatio);
            int n = v.hamCount()[i] + v.spamCount()[i];
            double f = (STRENGTH * UNKNOWN_PROBABILITY + n * p) / (STRENGTH + n);
            float stored = (float) f;
            if (Math.abs(stored - 0.5) >= MINIMUM_STRENGTH) {
                keys.add(v.keys()[i]);
                values.add(stored);
            }
        }
        return new ModelFormat.Data(
                Algorithm.ROBINSON_FISHER,
                ham,
                spam,
                digest,
                new double[] {UNKNOWN_PROBABILITY, STRENGTH, MINIMUM_STRENGTH, MAX_CLUES},
                keys.stream().mapToLong(Long::longValue).toArray(),
                toFloats(values));
    }

    /**
     * Logistic regression on token presence: AdaGrad over the examples, {@link #EPOCHS} passes in
     * an order shuffled by a fixed-seed SplitMix64, with L2 regularisation applied to the weights a
     * message touches. Classes are not re-weighted: the bias learns the corpus's ham-to-spam ratio,
     * and the threshold is chosen by cross-validation anyway (re-weighting measured worse,
     * src/adr/0014).
     */
    private static ModelFormat.Data logistic(
            Vocabulary v, List<Example> examples, int ham, int spam, byte[] digest) {
        int n = v.keys().length;
        int[][] x = new int[examples.size()][];
        double[] y = new double[examples.size()];
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            int[] idx = new int[e.tokens().length];
            int k = 0;
            for (long t : e.tokens()) {
                Integer j = v.index().get(t);
                if (j != null) {
                    idx[k++] = j;
                }
            }
            x[i] = Arrays.copyOf(idx, k);
            Arrays.sort(x[i]);
            y[i] = e.label() == Label.SPAM ? 1 : 0;
        }
        double[] w = new double[n];
        double[] g2 = new double[n];
        double b = 0;
        double bg2 = 0;
        int[] order = new int[examples.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        long state = SEED;
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
            for (int i = order.length - 1; i > 0; i--) { // Fisher-Yates with SplitMix64
                state += 0x9E3779B97F4A7C15L;
                int j = (int) Long.remainderUnsigned(splitMix(state), i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            for (int i : order) {
                int[] xi = x[i];
                double z = b;
                for (int j : xi) {
                    z += w[j];
                }
                double g = Classifier.sigmoid(z) - y[i];
                for (int j : xi) {
                    double gj = g + L2 * w[j];
                    g2[j] += gj * gj;
                    w[j] -= LEARNING_RATE * gj / StrictMath.sqrt(g2[j] + 1e-8);
                }
                bg2 += g * g;
                b -= LEARNING_RATE * g / StrictMath.sqrt(bg2 + 1e-8);
            }
        }
        List<Long> keys = new ArrayList<>();
        List<Float> values = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            float stored = (float) w[j];
            if (stored != 0f) {
                keys.add(v.keys()[j]);
                values.add(stored);
            }
        }
        return new ModelFormat.Data(
                Algorithm.LOGISTIC,
                ham,
                spam,
                digest,
                new double[] {b},
                keys.stream().mapToLong(Long::longValue).toArray(),
                toFloats(values));
    }

    private static long splitMix(long z0) {
        long z = z0;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static float[] toFloats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }
}
