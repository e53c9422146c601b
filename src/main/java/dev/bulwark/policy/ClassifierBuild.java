package dev.bulwark.policy;

import dev.bulwark.classifier.Classifier;
import dev.bulwark.classifier.Corpus;
import dev.bulwark.classifier.CrossValidation;
import dev.bulwark.classifier.Label;
import dev.bulwark.classifier.ModelFormatException;
import dev.bulwark.classifier.Training;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The training pass, between the check and the lowering: a policy directory's {@code classifier:}
 * section becomes a model. The corpus is read (a message that cannot be used is a warning naming
 * it), the model is trained on all of it and k-fold cross-validated with the same options, and the
 * cross-validation is held to the declared bar: below it the compilation fails at the bar, like a
 * failing test case, with the table in {@link PolicyException#report()}. A canonical form names its
 * model by SHA-256 instead; the model comes with it ({@link PolicySource#model()}) and is checked
 * against that digest, not trained again.
 *
 * <p>Training is deterministic, so a process that compiles the same corpus with the same options
 * twice (the build's tests do, many times) reuses the first training.
 */
final class ClassifierBuild {
    private ClassifierBuild() {}

    /**
     * What the pass gives: the classifier, the section naming its model (for the canonical form),
     * and the build's report (the cross-validation table and the figures), empty for a model that
     * came with a canonical form.
     */
    record Built(Classifier classifier, ClassifierDecl decl, Optional<String> report) {}

    private record Key(String corpus, String options, int folds) {}

    private static final Map<Key, Training> TRAINED = new ConcurrentHashMap<>();

    /**
     * Trains or loads the classifier of a checked section; reports every problem and gives nothing
     * then. A failed gate also gives its report.
     */
    static Optional<Built> build(
            ClassifierDecl k, PolicySource source, Problems problems, StringBuilder report) {
        if (k.model().isPresent()) {
            return load(k, k.model().get(), source, problems);
        }
        if (source.directory().isEmpty()) {
            problems.error(
                    k.pos(),
                    "a 'corpus' is read from a policy directory: this policy was given as one"
                            + " file");
            return Optional.empty();
        }
        Path dir = source.directory().get();
        Path shownAs = Path.of(source.mainFile()).getParent();
        Located<String> ham = k.ham().orElseThrow();
        Located<String> spam = k.spam().orElseThrow();
        long started = System.nanoTime();
        Corpus corpus;
        try {
            corpus =
                    Corpus.read(
                            List.of(
                                    new Corpus.Source(
                                            dir.resolve(ham.value()),
                                            shown(shownAs, ham.value()),
                                            Label.HAM),
                                    new Corpus.Source(
                                            dir.resolve(spam.value()),
                                            shown(shownAs, spam.value()),
                                            Label.SPAM)));
        } catch (NoSuchFileException e) {
            Located<String> missing = e.getFile().equals(shown(shownAs, ham.value())) ? ham : spam;
            problems.error(
                    missing.pos(),
                    "corpus '"
                            + missing.value()
                            + "' does not exist: "
                            + e.getFile()
                            + " is neither a folder nor an archive");
            return Optional.empty();
        } catch (IOException e) {
            problems.error(k.pos(), "cannot read the corpus: " + e.getMessage());
            return Optional.empty();
        }
        for (Corpus.Warning w : corpus.warnings()) {
            problems.warning(new Pos(w.where(), 1, 1), "corpus message left out: " + w.message());
        }
        long read = System.nanoTime();
        int folds = k.foldsValue();
        int needed = CrossValidation.minimumPerClass(folds);
        boolean enough = true;
        for (Map.Entry<Label, Located<String>> c :
                Map.of(Label.HAM, ham, Label.SPAM, spam).entrySet()) {
            int n = corpus.count(c.getKey());
            if (n == 0) {
                problems.error(
                        c.getValue().pos(),
                        "the "
                                + c.getKey().word()
                                + " corpus '"
                                + c.getValue().value()
                                + "' has no usable message: a classifier learns from both ham"
                                + " and spam");
                enough = false;
            } else if (n < needed) {
                problems.error(
                        c.getValue().pos(),
                        "the "
                                + c.getKey().word()
                                + " corpus '"
                                + c.getValue().value()
                                + "' has "
                                + n
                                + " usable message"
                                + (n == 1 ? "" : "s")
                                + ": "
                                + folds
                                + "-fold cross-validation needs at least "
                                + needed
                                + " (two per fold)");
                enough = false;
            }
        }
        if (!enough) {
            return Optional.empty();
        }
        Key key = new Key(corpus.digest(), k.options().toString(), folds);
        Training t = TRAINED.computeIfAbsent(key, x -> Training.run(corpus, k.options(), folds));
        long trained = System.nanoTime();
        CrossValidation.Bar bar = k.barValue();
        CrossValidation.Gate gate = t.crossValidation().check(bar);
        Classifier c = t.classifier();
        report.append(gate.table());
        report.append(
                String.format(
                        Locale.ROOT,
                        "classifier model %s: %s, %d tokens, %d bytes, from %d ham and %d spam"
                                + " (corpus %s); read in %d ms, trained and cross-validated in"
                                + " %d ms%n",
                        c.sha256(),
                        c.algorithm().word(),
                        c.tokens(),
                        c.bytes().length,
                        corpus.count(Label.HAM),
                        corpus.count(Label.SPAM),
                        corpus.digest(),
                        (read - started) / 1_000_000,
                        (trained - read) / 1_000_000));
        if (!gate.passed()) {
            CrossValidation.Confusion at = gate.atBar();
            problems.error(
                    k.bar(),
                    String.format(
                            Locale.ROOT,
                            "the classifier is below its bar: %d-fold cross-validation flags %s of"
                                    + " the spam at a threshold that flags %s of the ham; the bar"
                                    + " is %s at most %s (the table above)",
                            folds,
                            percent(at.spamRecall()),
                            percent(at.hamFalsePositiveRate()),
                            percent(bar.spamRecall()),
                            percent(bar.hamFalsePositives())));
            return Optional.empty();
        }
        return Optional.of(new Built(c, k.withModel(c.sha256()), Optional.of(report.toString())));
    }

    private static Optional<Built> load(
            ClassifierDecl k, Located<String> sha, PolicySource source, Problems problems) {
        Optional<byte[]> bytes = source.model();
        if (bytes.isEmpty()) {
            problems.error(
                    sha.pos(),
                    "the model "
                            + sha.value()
                            + " is not here: a canonical form's model travels beside it ("
                            + CompiledPolicy.EMBEDDED_MODEL
                            + " in the runtime)");
            return Optional.empty();
        }
        Classifier c;
        try {
            c = Classifier.load(bytes.get());
        } catch (ModelFormatException e) {
            problems.error(sha.pos(), "the model does not load: " + e.getMessage());
            return Optional.empty();
        }
        if (!c.sha256().equals(sha.value())) {
            problems.error(
                    sha.pos(),
                    "the model given has SHA-256 " + c.sha256() + ", not " + sha.value());
            return Optional.empty();
        }
        if (c.algorithm() != k.algorithmValue()) {
            problems.error(
                    sha.pos(),
                    "the model is "
                            + c.algorithm().word()
                            + ", the section says "
                            + k.algorithmValue().word());
            return Optional.empty();
        }
        return Optional.of(new Built(c, k, Optional.empty()));
    }

    private static String shown(Path shownAs, String relative) {
        return (shownAs == null ? Path.of(relative) : shownAs.resolve(relative))
                .normalize()
                .toString();
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }
}
