package dev.bulwark.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

class TrainerTest {

    private static Corpus sample;

    @BeforeAll
    static void load() {
        sample = Mail.sample(Mail.policyCorpus(), 5); // 500 ham, 100 spam
    }

    @Test
    void theSameCorpusGivesByteIdenticalModels() {
        for (Algorithm a : Algorithm.values()) {
            Options o = Options.defaults().withAlgorithm(a);
            byte[] first = Trainer.train(sample, o).bytes();
            byte[] second = Trainer.train(sample, o).bytes();
            assertThat(second).as(a.word()).isEqualTo(first);
        }
    }

    @Test
    void namesAndTheOrderMessagesArriveInDoNotChangeTheModel() {
        List<CorpusMessage> renamed = new ArrayList<>();
        for (CorpusMessage m : sample.messages()) {
            renamed.add(
                    new CorpusMessage("elsewhere/" + m.sha256(), m.label(), m.bytes(), m.sha256()));
        }
        Collections.reverse(renamed);
        Corpus other = Corpus.of(renamed, List.of());
        for (Algorithm a : Algorithm.values()) {
            Options o = Options.defaults().withAlgorithm(a);
            assertThat(Trainer.train(other, o).sha256())
                    .as(a.word())
                    .isEqualTo(Trainer.train(sample, o).sha256());
        }
    }

    @Test
    void oneMessageMoreChangesTheModelAndItsCorpusDigest() {
        List<CorpusMessage> fewer = new ArrayList<>(sample.messages());
        fewer.remove(0);
        Corpus smaller = Corpus.of(fewer, List.of());
        Classifier a = Trainer.train(sample, Options.defaults());
        Classifier b = Trainer.train(smaller, Options.defaults());
        assertThat(b.sha256()).isNotEqualTo(a.sha256());
        assertThat(a.corpusDigest()).isEqualTo(sample.digest());
        assertThat(b.corpusDigest()).isEqualTo(smaller.digest());
    }

    @Test
    void modelsRecordWhatTheyWereTrainedOn() {
        Classifier c = Trainer.train(sample, Options.defaults());
        assertThat(c.algorithm()).isEqualTo(Algorithm.LOGISTIC);
        assertThat(c.trainedOn(Label.HAM)).isEqualTo(500);
        assertThat(c.trainedOn(Label.SPAM)).isEqualTo(100);
        assertThat(c.tokens()).isPositive();
    }

    @Test
    void aHigherMinimumCountKeepsFewerTokens() {
        Classifier two = Trainer.train(sample, new Options(Algorithm.LOGISTIC, 2));
        Classifier five = Trainer.train(sample, new Options(Algorithm.LOGISTIC, 5));
        assertThat(five.tokens()).isLessThan(two.tokens());
    }

    @Test
    void bothAlgorithmsSeparateMailTheyWereNotTrainedOn() {
        // trained on every 5th message; scored on the next ones, which training never saw
        Corpus all = Mail.policyCorpus();
        List<CorpusMessage> unseen = new ArrayList<>();
        int[] seen = new int[2];
        for (CorpusMessage m : all.messages()) {
            if (seen[m.label().ordinal()]++ % 5 == 1) {
                unseen.add(m);
            }
        }
        for (Algorithm a : Algorithm.values()) {
            Classifier c = Trainer.train(sample, Options.defaults().withAlgorithm(a));
            int right = 0;
            for (CorpusMessage m : unseen) {
                boolean saysSpam = c.score(m.bytes()).probability() >= 0.5;
                right += saysSpam == (m.label() == Label.SPAM) ? 1 : 0;
            }
            assertThat((double) right / unseen.size()).as(a.word()).isGreaterThan(0.95);
        }
    }
}
