package dev.bulwark.cli;

import dev.bulwark.check.mime.MimeParser;
import dev.bulwark.check.mime.ParsedMessage;
import dev.bulwark.classifier.Algorithm;
import dev.bulwark.classifier.Classifier;
import dev.bulwark.classifier.Corpus;
import dev.bulwark.classifier.CorpusMessage;
import dev.bulwark.classifier.CrossValidation;
import dev.bulwark.classifier.Label;
import dev.bulwark.classifier.ModelFormatException;
import dev.bulwark.classifier.Options;
import dev.bulwark.classifier.Training;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The classifier on its own, before and besides the policy: {@code classifier train} trains and
 * cross-validates a corpus (a folder with {@code ham/} and {@code spam/}) as the build does and
 * writes the model; {@code classifier measure} holds back part of the corpus, compares algorithms
 * on it, and reports, for information, the rates on other folders at the threshold the held-back
 * part chose.
 */
@Command(
        name = "classifier",
        header = "Trains and measures the classifier on its own.",
        description = "The classifier on its own, before and besides the policy.",
        subcommands = {ClassifierCommand.Train.class, ClassifierCommand.Measure.class})
final class ClassifierCommand {
    private ClassifierCommand() {}

    /** Parsed options of both sub-commands. */
    private static final class Args {
        Path corpus;
        final List<Algorithm> algorithms = new ArrayList<>();
        int folds = 5;
        double recall = 0.95;
        double maxFp = 0.005;
        int holdOut = 20;
        Path out;
        final List<Path> evaluateHam = new ArrayList<>();
        final List<Path> evaluateSpam = new ArrayList<>();
    }

    /** The options both commands take; values are checked when the command runs. */
    abstract static class Common implements Cli.Action {
        @Spec CommandSpec spec;

        @Parameters(
                index = "0",
                paramLabel = "CORPUS_DIR",
                description = "a folder with ham/ and spam/ subfolders of messages")
        Path corpus;

        @Option(
                names = "--folds",
                paramLabel = "K",
                description = "cross-validation folds, 2 to 100 (default: 5)")
        String folds;

        @Option(
                names = "--max-fp",
                paramLabel = "F",
                description = "the largest false-positive rate allowed (default: 0.005)")
        String maxFp;

        abstract void more(Args a);

        abstract int run(Args a, PrintStream out, PrintStream err) throws IOException;

        @Override
        public final int run(PrintStream out, PrintStream err) {
            Args a = new Args();
            try {
                a.corpus = corpus;
                if (folds != null) {
                    a.folds = integer("--folds", folds, 2, 100);
                }
                if (maxFp != null) {
                    a.maxFp = fraction("--max-fp", maxFp);
                }
                more(a);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            if (a.algorithms.isEmpty()) {
                a.algorithms.add(Options.defaults().algorithm());
            }
            try {
                return run(a, out, err);
            } catch (NoSuchFileException e) {
                err.println(e.getFile() + ": no such file or folder");
                return 1;
            } catch (IOException e) {
                err.println("cannot read the corpus: " + e.getMessage());
                return 1;
            } catch (IllegalArgumentException e) {
                err.println(e.getMessage());
                return 1;
            }
        }
    }

    @Command(
            name = "train",
            header = "Trains and cross-validates the classifier, and writes the model.",
            description =
                    "Trains and cross-validates a corpus as the build does, and writes the model.",
            exitCodeList = {
                "0:done: the cross-validation met the bar",
                "1:the corpus cannot be read, or the model missed the bar",
                "2:usage error"
            })
    static final class Train extends Common {
        @Option(
                names = "--algorithm",
                paramLabel = "NAME",
                description = "robinson-fisher or logistic (default: logistic)")
        String algorithm;

        @Option(
                names = "--recall",
                paramLabel = "R",
                description = "the spam recall the model must reach (default: 0.95)")
        String recall;

        @Option(names = "--out", paramLabel = "MODEL", description = "write the model here")
        Path model;

        @Override
        void more(Args a) {
            if (algorithm != null) {
                a.algorithms.add(algorithm(algorithm));
            }
            if (recall != null) {
                a.recall = fraction("--recall", recall);
            }
            a.out = model;
        }

        @Override
        int run(Args a, PrintStream out, PrintStream err) throws IOException {
            return train(a, out, err);
        }
    }

    @Command(
            name = "measure",
            header = "Compares classifier algorithms on a held-back part of a corpus.",
            description =
                    "Holds back part of the corpus, compares algorithms on it, and reports, for"
                            + " information, the rates on other folders at the threshold the"
                            + " held-back part chose.",
            exitCodeList = {"0:measured", "1:the corpus cannot be read", "2:usage error"})
    static final class Measure extends Common {
        @Option(
                names = "--algorithm",
                paramLabel = "NAME",
                description = "robinson-fisher or logistic; repeatable (default: logistic)")
        List<String> algorithms = new ArrayList<>();

        @Option(
                names = "--hold-out",
                paramLabel = "PERCENT",
                description = "how much of the corpus to hold back, 1 to 90 (default: 20)")
        String holdOut;

        @Option(
                names = "--evaluate-ham",
                paramLabel = "DIR",
                description = "a further folder of ham to report on; repeatable")
        List<Path> evaluateHam = new ArrayList<>();

        @Option(
                names = "--evaluate-spam",
                paramLabel = "DIR",
                description = "a further folder of spam to report on; repeatable")
        List<Path> evaluateSpam = new ArrayList<>();

        @Override
        void more(Args a) {
            for (String name : algorithms) {
                a.algorithms.add(algorithm(name));
            }
            if (holdOut != null) {
                a.holdOut = integer("--hold-out", holdOut, 1, 90);
            }
            a.evaluateHam.addAll(evaluateHam);
            a.evaluateSpam.addAll(evaluateSpam);
        }

        @Override
        int run(Args a, PrintStream out, PrintStream err) throws IOException {
            return measure(a, out, err);
        }
    }

    private static Algorithm algorithm(String name) {
        Algorithm alg = Algorithm.named(name);
        if (alg == null) {
            throw new IllegalArgumentException(
                    "unknown algorithm '" + name + "': robinson-fisher or logistic");
        }
        return alg;
    }

    private static int integer(String option, String v, int min, int max) {
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                "invalid value '"
                        + v
                        + "' for "
                        + option
                        + ": a number from "
                        + min
                        + " to "
                        + max);
    }

    private static double fraction(String option, String v) {
        try {
            double d = Double.parseDouble(v);
            if (d >= 0 && d < 1 || option.equals("--recall") && d == 1) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                "invalid value '" + v + "' for " + option + ": a fraction such as 0.005");
    }

    private static Corpus read(Path dir, PrintStream err) throws IOException {
        Corpus c =
                Corpus.read(
                        List.of(
                                new Corpus.Source(
                                        dir.resolve("ham"),
                                        dir.resolve("ham").toString(),
                                        Label.HAM),
                                new Corpus.Source(
                                        dir.resolve("spam"),
                                        dir.resolve("spam").toString(),
                                        Label.SPAM)));
        c.warnings().forEach(err::println);
        return c;
    }

    private static int train(Args a, PrintStream out, PrintStream err) throws IOException {
        long start = System.nanoTime();
        Corpus corpus = read(a.corpus, err);
        long read = System.nanoTime();
        Options options = Options.defaults().withAlgorithm(a.algorithms.get(0));
        Training t = Training.run(corpus, options, a.folds);
        long trained = System.nanoTime();
        CrossValidation.Gate gate =
                t.crossValidation().check(new CrossValidation.Bar(a.recall, a.maxFp));
        out.print(gate.table());
        Classifier c = t.classifier();
        out.printf(
                Locale.ROOT,
                "corpus %s: %d ham, %d spam, %d warnings; read in %d ms%n",
                corpus.digest(),
                corpus.count(Label.HAM),
                corpus.count(Label.SPAM),
                corpus.warnings().size(),
                ms(start, read));
        out.printf(
                Locale.ROOT,
                "model %s: %s, %d tokens, %d bytes; features, %d-fold cross-validation and"
                        + " training in %d ms; loads in %.1f ms%n",
                c.sha256(),
                c.algorithm().word(),
                c.tokens(),
                c.bytes().length,
                a.folds,
                ms(read, trained),
                loadMillis(c.bytes()));
        if (a.out != null) {
            Files.write(a.out, c.bytes());
            out.println("wrote " + a.out);
        }
        return gate.passed() ? 0 : 1;
    }

    private static int measure(Args a, PrintStream out, PrintStream err) throws IOException {
        Corpus corpus = read(a.corpus, err);
        // Held back: the last PERCENT of each class in name order. For numbered folders
        // (SpamAssassin's, MH, most archives) that is the newest mail, a harder test than a
        // random split: mail drifts, and a random split puts a thread's replies on both sides.
        List<CorpusMessage> train = new ArrayList<>();
        List<CorpusMessage> held = new ArrayList<>();
        for (Label l : Label.values()) {
            List<CorpusMessage> cls =
                    corpus.messages().stream()
                            .filter(m -> m.label() == l)
                            .sorted(Comparator.comparing(CorpusMessage::name))
                            .toList();
            int cut = cls.size() - (int) Math.round(cls.size() * a.holdOut / 100.0);
            train.addAll(cls.subList(0, cut));
            held.addAll(cls.subList(cut, cls.size()));
        }
        Corpus trainCorpus = Corpus.of(train, List.of());
        out.printf(
                Locale.ROOT,
                "corpus %s: training on %d ham + %d spam, held back (last %d%% by name) %d ham +"
                        + " %d spam%n",
                corpus.digest(),
                trainCorpus.count(Label.HAM),
                trainCorpus.count(Label.SPAM),
                a.holdOut,
                count(held, Label.HAM),
                count(held, Label.SPAM));
        List<Evaluation> evaluations = new ArrayList<>();
        for (Path p : a.evaluateHam) {
            evaluations.add(new Evaluation(p, folder(p, Label.HAM)));
        }
        for (Path p : a.evaluateSpam) {
            evaluations.add(new Evaluation(p, folder(p, Label.SPAM)));
        }
        List<Parsed> heldParsed = parsed(held);
        out.printf(
                Locale.ROOT,
                "%-16s %7s %9s %8s | %-26s | %-40s | %-40s%n",
                "algorithm",
                "tokens",
                "bytes",
                "train-ms",
                "cross-validation (" + a.folds + " folds)",
                "held back, threshold from cross-validation",
                "held back, threshold from held back");
        List<String> evaluationLines = new ArrayList<>();
        for (Algorithm alg : a.algorithms) {
            Options options = Options.defaults().withAlgorithm(alg);
            long t0 = System.nanoTime();
            Training t = Training.run(trainCorpus, options, a.folds);
            long t1 = System.nanoTime();
            CrossValidation.Bar bar = new CrossValidation.Bar(0, a.maxFp);
            double cvThreshold = t.crossValidation().thresholdFor(bar);
            Classifier c = t.classifier();
            List<CrossValidation.Scored> scored = new ArrayList<>();
            for (Parsed p : heldParsed) {
                scored.add(
                        new CrossValidation.Scored(
                                p.message().name(),
                                p.message().label(),
                                0,
                                c.score(p.message().bytes(), p.parsed()).probability()));
            }
            CrossValidation.Result heldResult = new CrossValidation.Result(1, options, scored);
            double heldThreshold = heldResult.thresholdFor(bar);
            out.printf(
                    Locale.ROOT,
                    "%-16s %7d %9d %8d | recall %s at t=%-9s | %-40s | %-40s%n",
                    alg.word(),
                    c.tokens(),
                    c.bytes().length,
                    ms(t0, t1),
                    pct(t.crossValidation().at(cvThreshold).spamRecall()),
                    threshold(cvThreshold),
                    rates(heldResult.at(cvThreshold)),
                    rates(heldResult.at(heldThreshold)));
            out.printf(Locale.ROOT, "%-16s held-back AUC %.5f%n", "", auc(scored));
            for (Evaluation e : evaluations) {
                int flaggedHeld = 0;
                int flaggedCv = 0;
                for (Parsed p : e.messages()) {
                    double prob = c.score(p.message().bytes(), p.parsed()).probability();
                    flaggedHeld += prob >= heldThreshold ? 1 : 0;
                    flaggedCv += prob >= cvThreshold ? 1 : 0;
                }
                evaluationLines.add(
                        String.format(
                                Locale.ROOT,
                                "%-16s %-40s %4s %5d  flagged %s at t=%s (held back), %s at"
                                        + " t=%s (cross-validation)",
                                alg.word(),
                                e.folder(),
                                e.label().word(),
                                e.messages().size(),
                                pct(flaggedHeld, e.messages().size()),
                                threshold(heldThreshold),
                                pct(flaggedCv, e.messages().size()),
                                threshold(cvThreshold)));
            }
            speed(c, heldParsed, alg, out);
        }
        if (!evaluationLines.isEmpty()) {
            out.println(
                    "for information only (never train or tune on these): models trained on the"
                            + " training part");
            evaluationLines.forEach(out::println);
        }
        return 0;
    }

    private record Parsed(CorpusMessage message, ParsedMessage parsed) {}

    private record Evaluation(Path folder, List<Parsed> messages) {
        Label label() {
            return messages.isEmpty() ? Label.HAM : messages.get(0).message().label();
        }
    }

    private static List<Parsed> parsed(List<CorpusMessage> messages) {
        List<Parsed> out = new ArrayList<>(messages.size());
        for (CorpusMessage m : messages) {
            out.add(new Parsed(m, MimeParser.parse(m.bytes())));
        }
        return out;
    }

    /** A folder of message files; {@code .json} files (the npm corpus's metadata) are skipped. */
    private static List<Parsed> folder(Path dir, Label label) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files =
                    s.filter(Files::isRegularFile)
                            .filter(p -> !p.getFileName().toString().endsWith(".json"))
                            .filter(p -> !p.getFileName().toString().startsWith("."))
                            .sorted()
                            .toList();
        }
        List<CorpusMessage> messages = new ArrayList<>();
        for (Path f : files) {
            messages.add(CorpusMessage.of(f.toString(), label, Files.readAllBytes(f)));
        }
        return parsed(messages);
    }

    /** Tokenizing and scoring per message in CPU time of this thread, best of five rounds. */
    private static void speed(Classifier c, List<Parsed> messages, Algorithm alg, PrintStream out) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double best = Double.MAX_VALUE;
        double sink = 0;
        for (int round = 0; round < 5; round++) {
            long cpu = mx.getCurrentThreadCpuTime();
            for (Parsed p : messages) {
                sink += c.score(p.message().bytes(), p.parsed()).probability();
            }
            best = Math.min(best, (mx.getCurrentThreadCpuTime() - cpu) / 1e3 / messages.size());
        }
        out.printf(
                Locale.ROOT,
                "%-16s tokenize and score: %.1f µs CPU per message (after parsing), best of 5"
                        + " rounds over the held-back part (%s)%n",
                alg.word(),
                best,
                sink > 0 ? "ok" : "none");
    }

    private static double loadMillis(byte[] model) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long t = System.nanoTime();
            try {
                Classifier.load(model);
            } catch (ModelFormatException e) {
                throw new IllegalStateException("the model just trained does not load", e);
            }
            best = Math.min(best, (System.nanoTime() - t) / 1e6);
        }
        return best;
    }

    private static double auc(List<CrossValidation.Scored> s) {
        List<Double> spam = new ArrayList<>();
        List<Double> ham = new ArrayList<>();
        for (CrossValidation.Scored x : s) {
            (x.label() == Label.SPAM ? spam : ham).add(x.probability());
        }
        double good = 0;
        for (double a : spam) {
            for (double h : ham) {
                good += a > h ? 1 : a == h ? 0.5 : 0;
            }
        }
        return spam.isEmpty() || ham.isEmpty() ? 0 : good / ((double) spam.size() * ham.size());
    }

    private static String rates(CrossValidation.Confusion c) {
        return String.format(
                Locale.ROOT,
                "spam %d/%d (%s) ham %d/%d (%s)",
                c.spamFlagged(),
                c.spamFlagged() + c.spamMissed(),
                pct(c.spamRecall()),
                c.hamFlagged(),
                c.hamFlagged() + c.hamPassed(),
                pct(c.hamFalsePositiveRate()));
    }

    private static int count(List<CorpusMessage> ms, Label l) {
        return (int) ms.stream().filter(m -> m.label() == l).count();
    }

    private static long ms(long from, long to) {
        return (to - from) / 1_000_000;
    }

    private static String pct(double f) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * f);
    }

    private static String pct(int n, int total) {
        return total == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f%% (%d)", 100.0 * n / total, n);
    }

    private static String threshold(double t) {
        return t > 1 ? ">1" : String.format(Locale.ROOT, "%.4f", t);
    }
}
