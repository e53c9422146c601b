package dev.bulwark.classifier;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * k-fold cross-validation over a corpus, the classifier's quality gate. Each class is dealt into k
 * folds in canonical order (message i of a class goes to fold i mod k), so folds are balanced,
 * deterministic and independent of file names; identical messages were merged by the corpus, so no
 * message is in a training set and in its own test fold. Each fold is scored by a model trained on
 * the other k - 1 folds with the same {@link Options}, exactly as the build trains the model it
 * ships.
 *
 * <p>Call {@link #run}, then {@link Result#check} with the policy's bar, or {@link Result#at} for
 * the confusion matrix at a threshold.
 */
public final class CrossValidation {
    private CrossValidation() {}

    /** Fewest messages a class needs for k folds: two per fold, so each fold tests both. */
    public static int minimumPerClass(int folds) {
        return 2 * folds;
    }

    /**
     * The quality bar: at a threshold that flags at most {@code hamFalsePositives} of the ham (a
     * fraction), at least {@code spamRecall} of the spam must be flagged.
     */
    public record Bar(double spamRecall, double hamFalsePositives) {
        public Bar {
            if (!(spamRecall >= 0 && spamRecall <= 1)) {
                throw new IllegalArgumentException(
                        spamRecall + " is not a valid spam recall: it is a fraction from 0 to 1");
            }
            if (!(hamFalsePositives >= 0 && hamFalsePositives < 1)) {
                throw new IllegalArgumentException(
                        hamFalsePositives
                                + " is not a valid ham false-positive rate: it is a fraction"
                                + " from 0 to below 1");
            }
        }
    }

    /**
     * Counts at one threshold: a message is flagged when its probability is at least the threshold.
     */
    public record Confusion(
            double threshold, int spamFlagged, int spamMissed, int hamFlagged, int hamPassed) {

        public double spamRecall() {
            return ratio(spamFlagged, spamFlagged + spamMissed);
        }

        public double hamFalsePositiveRate() {
            return ratio(hamFlagged, hamFlagged + hamPassed);
        }
    }

    /** One fold: its size, and the figures at the threshold its own ham gives for the bar. */
    public record Fold(int index, int ham, int spam, Confusion atBar) {}

    /** A message's out-of-fold probability. */
    public record Scored(String name, Label label, int fold, double probability) {}

    /**
     * What the gate reports.
     *
     * @param atBar the pooled figures at the threshold the bar's false-positive rate allows
     * @param folds the same per fold
     * @param table a plain-text table of all of it, for the build log
     */
    public record Gate(boolean passed, Bar bar, Confusion atBar, List<Fold> folds, String table) {
        public Gate {
            folds = List.copyOf(folds);
        }
    }

    /**
     * Every message's out-of-fold probability, in canonical corpus order.
     *
     * @param scored out-of-fold probabilities, in the corpus's order
     */
    public record Result(int folds, Options options, List<Scored> scored) {
        public Result {
            scored = List.copyOf(scored);
        }

        /** The confusion matrix over all folds at a threshold. */
        public Confusion at(double threshold) {
            return confusion(scored, threshold);
        }

        /**
         * The lowest threshold that flags at most {@code bar.hamFalsePositives()} of the ham, over
         * all folds.
         */
        public double thresholdFor(Bar bar) {
            return CrossValidation.threshold(scored, bar.hamFalsePositives());
        }

        /** The bar applied to the pooled out-of-fold scores; the table shows each fold too. */
        public Gate check(Bar bar) {
            double t = thresholdFor(bar);
            Confusion pooled = at(t);
            List<Fold> perFold = new ArrayList<>();
            for (int f = 0; f < folds; f++) {
                List<Scored> in = new ArrayList<>();
                for (Scored s : scored) {
                    if (s.fold() == f) {
                        in.add(s);
                    }
                }
                Confusion c = confusion(in, threshold(in, bar.hamFalsePositives()));
                perFold.add(
                        new Fold(
                                f + 1,
                                c.hamFlagged() + c.hamPassed(),
                                c.spamFlagged() + c.spamMissed(),
                                c));
            }
            boolean passed = pooled.spamRecall() >= bar.spamRecall();
            return new Gate(passed, bar, pooled, perFold, table(bar, pooled, perFold, passed));
        }

        /** The ham messages flagged at a threshold, most spam-like first: the false positives. */
        public List<Scored> hamFlagged(double threshold) {
            return scored.stream()
                    .filter(s -> s.label() == Label.HAM && s.probability() >= threshold)
                    .sorted(
                            Comparator.comparingDouble((Scored s) -> -s.probability())
                                    .thenComparing(Scored::name))
                    .toList();
        }

        private String table(Bar bar, Confusion pooled, List<Fold> perFold, boolean passed) {
            StringBuilder b = new StringBuilder();
            b.append(
                    String.format(
                            Locale.ROOT,
                            "classifier cross-validation: %s, %d folds, bar: spam recall >= %s at"
                                    + " ham false positives <= %s%n",
                            options.algorithm().word(),
                            folds,
                            pct(bar.spamRecall()),
                            pct(bar.hamFalsePositives())));
            b.append(
                    String.format(
                            Locale.ROOT,
                            "%-6s %5s %5s %10s %12s %11s %10s %11s%n",
                            "fold",
                            "ham",
                            "spam",
                            "threshold",
                            "spam-flagged",
                            "spam-missed",
                            "ham-flagged",
                            "spam-recall"));
            for (Fold f : perFold) {
                row(b, Integer.toString(f.index()), f.ham(), f.spam(), f.atBar());
            }
            row(
                    b,
                    "all",
                    pooled.hamFlagged() + pooled.hamPassed(),
                    pooled.spamFlagged() + pooled.spamMissed(),
                    pooled);
            b.append(
                    String.format(
                            Locale.ROOT,
                            "confusion matrix at %s (all folds): spam flagged %d, spam missed %d,"
                                    + " ham flagged %d, ham passed %d%n",
                            threshold(pooled.threshold()),
                            pooled.spamFlagged(),
                            pooled.spamMissed(),
                            pooled.hamFlagged(),
                            pooled.hamPassed()));
            b.append(
                    passed
                            ? String.format(
                                    Locale.ROOT,
                                    "passed: spam recall %s >= %s%n",
                                    pct(pooled.spamRecall()),
                                    pct(bar.spamRecall()))
                            : String.format(
                                    Locale.ROOT,
                                    "FAILED: spam recall %s is below the bar of %s%n",
                                    pct(pooled.spamRecall()),
                                    pct(bar.spamRecall())));
            return b.toString();
        }

        private static void row(StringBuilder b, String name, int ham, int spam, Confusion c) {
            b.append(
                    String.format(
                            Locale.ROOT,
                            "%-6s %5d %5d %10s %12d %11d %10d %11s%n",
                            name,
                            ham,
                            spam,
                            threshold(c.threshold()),
                            c.spamFlagged(),
                            c.spamMissed(),
                            c.hamFlagged(),
                            pct(c.spamRecall())));
        }
    }

    /**
     * Scores every message with a model trained without its fold.
     *
     * @throws IllegalArgumentException when {@code folds} is below 2 or a class has fewer than
     *     {@link #minimumPerClass} messages (the compiler reports both at the policy's position
     *     first)
     */
    public static Result run(Corpus corpus, Options options, int folds) {
        return run(corpus.messages(), Trainer.examples(corpus.messages()), options, folds, "");
    }

    static Result run(
            List<CorpusMessage> messages,
            List<Trainer.Example> examples,
            Options options,
            int folds,
            String digest) {
        Objects.requireNonNull(options, "options");
        if (folds < 2) {
            throw new IllegalArgumentException(folds + " folds: cross-validation needs at least 2");
        }
        int[] fold = new int[messages.size()];
        int[] seen = new int[2];
        for (int i = 0; i < messages.size(); i++) {
            int c = messages.get(i).label().ordinal();
            fold[i] = seen[c]++ % folds;
        }
        for (Label l : Label.values()) {
            if (seen[l.ordinal()] < minimumPerClass(folds)) {
                throw new IllegalArgumentException(
                        seen[l.ordinal()]
                                + " "
                                + l.word()
                                + " messages are too few for "
                                + folds
                                + "-fold cross-validation: at least "
                                + minimumPerClass(folds)
                                + " are needed");
            }
        }
        double[] p = new double[messages.size()];
        String d = digest.isEmpty() ? "0".repeat(64) : digest;
        for (int f = 0; f < folds; f++) {
            List<Trainer.Example> train = new ArrayList<>();
            for (int i = 0; i < examples.size(); i++) {
                if (fold[i] != f) {
                    train.add(examples.get(i));
                }
            }
            Classifier model = Trainer.train(train, options, d);
            for (int i = 0; i < examples.size(); i++) {
                if (fold[i] == f) {
                    p[i] = model.probability(examples.get(i).tokens());
                }
            }
        }
        List<Scored> scored = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            CorpusMessage m = messages.get(i);
            scored.add(new Scored(m.name(), m.label(), fold[i], p[i]));
        }
        return new Result(folds, options, scored);
    }

    /**
     * The lowest threshold at which at most {@code maxRate} of the ham is flagged: just above the
     * ham score that would be one too many. 0 when there is no ham; above 1 when not even one ham
     * message may be flagged and the top ham scores 1.
     */
    static double threshold(List<Scored> scored, double maxRate) {
        double[] ham =
                scored.stream()
                        .filter(s -> s.label() == Label.HAM)
                        .mapToDouble(Scored::probability)
                        .toArray();
        if (ham.length == 0) {
            return 0;
        }
        Arrays.sort(ham);
        int allowed = (int) Math.floor(maxRate * ham.length + 1e-9);
        if (allowed >= ham.length) {
            return 0;
        }
        // ham[length - 1 - allowed] is the highest ham score that must not be flagged
        return Math.nextUp(ham[ham.length - 1 - allowed]);
    }

    static Confusion confusion(List<Scored> scored, double threshold) {
        int sf = 0;
        int sm = 0;
        int hf = 0;
        int hp = 0;
        for (Scored s : scored) {
            boolean flagged = s.probability() >= threshold;
            if (s.label() == Label.SPAM) {
                if (flagged) {
                    sf++;
                } else {
                    sm++;
                }
            } else if (flagged) {
                hf++;
            } else {
                hp++;
            }
        }
        return new Confusion(threshold, sf, sm, hf, hp);
    }

    static double ratio(int a, int total) {
        return total == 0 ? 0 : (double) a / total;
    }

    static String pct(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }

    static String threshold(double t) {
        return t > 1 ? ">1" : String.format(Locale.ROOT, "%.6f", t);
    }
}
