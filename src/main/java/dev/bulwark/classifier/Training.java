package dev.bulwark.classifier;

import java.util.List;
import java.util.Objects;

/**
 * What the build does with a corpus: the model it ships, trained on every message, and the
 * cross-validation its quality gate checks. The messages are parsed and tokenized once for both.
 *
 * <p>Typical use by the policy compiler:
 *
 * <pre>{@code
 * Corpus corpus = Corpus.read(sources);            // warnings: corpus.warnings()
 * Training t = Training.run(corpus, options, folds);
 * CrossValidation.Gate gate = t.crossValidation().check(bar);
 * if (!gate.passed()) { ...print gate.table(), fail at the bar's position... }
 * byte[] model = t.classifier().bytes();           // embed; digest t.classifier().sha256()
 * }</pre>
 */
public record Training(Classifier classifier, CrossValidation.Result crossValidation) {

    public Training {
        Objects.requireNonNull(classifier, "classifier");
        Objects.requireNonNull(crossValidation, "crossValidation");
    }

    /**
     * Trains the model and cross-validates the same options.
     *
     * @throws IllegalArgumentException as {@link CrossValidation#run}: fewer than 2 folds, or a
     *     class with fewer than {@link CrossValidation#minimumPerClass} messages
     */
    public static Training run(Corpus corpus, Options options, int folds) {
        List<Trainer.Example> examples = Trainer.examples(corpus.messages());
        CrossValidation.Result cv =
                CrossValidation.run(corpus.messages(), examples, options, folds, corpus.digest());
        Classifier model = Trainer.train(examples, options, corpus.digest());
        return new Training(model, cv);
    }
}
