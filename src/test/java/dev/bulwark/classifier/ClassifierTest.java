package dev.bulwark.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

class ClassifierTest {

    private static Corpus sample;
    private static Classifier logistic;
    private static Classifier robinsonFisher;

    @BeforeAll
    static void train() {
        sample = Mail.sample(Mail.policyCorpus(), 5);
        logistic = Trainer.train(sample, Options.defaults().withAlgorithm(Algorithm.LOGISTIC));
        robinsonFisher =
                Trainer.train(sample, Options.defaults().withAlgorithm(Algorithm.ROBINSON_FISHER));
    }

    private static CorpusMessage first(Label label) {
        return sample.messages().stream().filter(m -> m.label() == label).findFirst().orElseThrow();
    }

    @Test
    void aLoadedModelIsTheModelThatWasWritten() throws ModelFormatException {
        for (Classifier c : List.of(logistic, robinsonFisher)) {
            Classifier loaded = Classifier.load(c.bytes());
            assertThat(loaded.bytes()).isEqualTo(c.bytes());
            assertThat(loaded.sha256()).isEqualTo(c.sha256()).hasSize(64);
            assertThat(loaded.algorithm()).isEqualTo(c.algorithm());
            assertThat(loaded.corpusDigest()).isEqualTo(sample.digest());
            for (CorpusMessage m : sample.messages().subList(0, 50)) {
                assertThat(loaded.score(m.bytes()).probability())
                        .isEqualTo(c.score(m.bytes()).probability());
            }
        }
    }

    @Test
    void damagedOrForeignBytesAreRefusedWithAReason() {
        byte[] good = logistic.bytes();

        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 1;
        assertThatThrownBy(() -> Classifier.load(flipped))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage("damaged model (checksum mismatch)");

        assertThatThrownBy(() -> Classifier.load(Arrays.copyOf(good, good.length - 100)))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage("damaged model (checksum mismatch)");

        assertThatThrownBy(() -> Classifier.load("not a model at all, no".getBytes()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage("not a Bulwark classifier model (bad magic)");

        assertThatThrownBy(() -> Classifier.load(Arrays.copyOf(good, 40)))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage("too short for a model (40 bytes)");
    }

    @Test
    void aModelForOtherFeaturesMustBeTrainedAgain() {
        byte[] b = logistic.bytes();
        ByteBuffer.wrap(b).putShort(6, (short) (ModelFormat.FEATURES + 1));
        resign(b);
        assertThatThrownBy(() -> Classifier.load(b))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage(
                        "model built for features version "
                                + (ModelFormat.FEATURES + 1)
                                + ", this version extracts version "
                                + ModelFormat.FEATURES
                                + ": train it again");
    }

    @Test
    void robinsonFisherProbabilitiesMustLieStrictlyBetweenZeroAndOne() {
        byte[] b = robinsonFisher.bytes();
        // the first token value sits right after the hashes, 32 + 12 n bytes before the end
        int n = robinsonFisher.tokens();
        int firstValue = b.length - 32 - 4 * n;
        ByteBuffer.wrap(b).putFloat(firstValue, 1.0f);
        resign(b);
        assertThatThrownBy(() -> Classifier.load(b))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage("token probability outside (0, 1): 1.0");
    }

    /** Recomputes the trailing checksum after an edit, so only the edit is at fault. */
    private static void resign(byte[] b) {
        byte[] sum = CorpusMessage.digest().digest(Arrays.copyOf(b, b.length - 32));
        System.arraycopy(sum, 0, b, b.length - 32, 32);
    }

    @Test
    void logisticTopTokensAreTheWeightsThatAddUpToTheScore() throws ModelFormatException {
        CorpusMessage m = first(Label.SPAM);
        Score s = logistic.score(m.bytes());
        List<Score.Clue> all = s.topTokens(Tokenizer.MAX_TOKENS);
        double bias = ModelFormat.read(logistic.bytes()).parameters()[0];
        double z = bias + all.stream().mapToDouble(Score.Clue::weight).sum();
        assertThat(Classifier.sigmoid(z))
                .isCloseTo(s.probability(), org.assertj.core.data.Offset.offset(1e-9));
        List<Score.Clue> top = s.topTokens(5);
        assertThat(top).hasSize(5).isEqualTo(all.subList(0, 5));
        for (int i = 1; i < top.size(); i++) {
            assertThat(Math.abs(top.get(i).weight()))
                    .isLessThanOrEqualTo(Math.abs(top.get(i - 1).weight()));
        }
        assertThat(s.topTokens(0)).isEmpty();
    }

    @Test
    void robinsonFisherExplainsWithTheCluesThatCounted() {
        Score spam = robinsonFisher.score(first(Label.SPAM).bytes());
        Score ham = robinsonFisher.score(first(Label.HAM).bytes());
        assertThat(spam.probability()).isGreaterThan(0.9);
        assertThat(ham.probability()).isLessThan(0.1);
        assertThat(spam.topTokens(Tokenizer.MAX_TOKENS))
                .hasSizeLessThanOrEqualTo(Trainer.MAX_CLUES);
        assertThat(spam.topTokens(3).get(0).weight()).isPositive();
        assertThat(ham.topTokens(3).get(0).weight()).isNegative();
    }

    @Test
    void aMessageWithNoKnownTokenIsUndecided() {
        // a robinson-fisher model that knows one token only
        Classifier c =
                Classifier.of(
                        new ModelFormat.Data(
                                Algorithm.ROBINSON_FISHER,
                                1,
                                1,
                                new byte[32],
                                new double[] {0.5, 0.45, 0.1, 150},
                                new long[] {TokenHashes.hash("viagra")},
                                new float[] {0.99f}));
        byte[] unknown = CorpusMessage.asReceived("Subject: lunch\n\nsee you soon\n".getBytes());
        byte[] known = CorpusMessage.asReceived("Subject: x\n\nviagra\n".getBytes());
        assertThat(c.score(unknown).probability()).isEqualTo(0.5);
        assertThat(c.score(unknown).topTokens(5)).isEmpty();
        assertThat(c.score(known).probability()).isGreaterThan(0.9);
        assertThat(c.score(known).topTokens(5))
                .extracting(Score.Clue::token)
                .containsExactly("viagra");
    }

    @Test
    void chiSquaredTailMatchesKnownValues() {
        // Q(x2 | v) for even v: Q(2 | 2) = e^-1, Q(0 | v) = 1
        assertThat(Classifier.chi2Q(2, 2))
                .isCloseTo(Math.exp(-1), org.assertj.core.data.Offset.offset(1e-15));
        assertThat(Classifier.chi2Q(0, 10)).isEqualTo(1.0);
        assertThat(Classifier.chi2Q(4, 4))
                .isCloseTo(3 * Math.exp(-2), org.assertj.core.data.Offset.offset(1e-15));
    }
}
