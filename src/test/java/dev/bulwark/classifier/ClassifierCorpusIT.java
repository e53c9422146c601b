package dev.bulwark.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The shipped corpus, trained as the build trains it: the model passes the starting policy's bar,
 * comes out byte for byte the same on every run and every machine, and stays small.
 */
class ClassifierCorpusIT {

    /**
     * SHA-256 of the model the default options train from policy/corpus. It changes, legitimately,
     * when the corpus, the tokens ({@link ModelFormat#FEATURES}), the trainer or the model format
     * change; any other change to it means training is not deterministic across machines.
     */
    static final String MODEL_SHA256 =
            "7bee13dcc20bf8dba246c18e9910872133ed368bbed0a67c80bb4562298a1f00";

    @Test
    void theShippedCorpusTrainsTheSameSmallModelEveryTimeAndPassesTheBar() {
        Corpus corpus = Mail.policyCorpus();

        Training first = Training.run(corpus, Options.defaults(), 5);
        Classifier again = Trainer.train(corpus, Options.defaults());

        CrossValidation.Gate gate =
                first.crossValidation().check(new CrossValidation.Bar(0.95, 0.005));
        assertThat(gate.passed()).as(gate.table()).isTrue();
        assertThat(again.bytes()).isEqualTo(first.classifier().bytes());
        assertThat(first.classifier().sha256()).isEqualTo(MODEL_SHA256);
        assertThat(first.classifier().bytes().length).isLessThan(10 * 1024 * 1024);
        assertThat(first.classifier().corpusDigest()).isEqualTo(corpus.digest());
    }
}
