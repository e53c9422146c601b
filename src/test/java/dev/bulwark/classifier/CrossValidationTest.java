package dev.bulwark.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

class CrossValidationTest {

    private static List<CrossValidation.Scored> scores(double[] ham, double[] spam) {
        List<CrossValidation.Scored> out = new ArrayList<>();
        for (int i = 0; i < ham.length; i++) {
            out.add(new CrossValidation.Scored("ham/" + i, Label.HAM, i % 2, ham[i]));
        }
        for (int i = 0; i < spam.length; i++) {
            out.add(new CrossValidation.Scored("spam/" + i, Label.SPAM, i % 2, spam[i]));
        }
        return out;
    }

    private static double[] ramp(int n, double from, double to) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = from + (to - from) * i / (n - 1);
        }
        return d;
    }

    @Test
    void theThresholdFlagsNoMoreHamThanTheBarAllows() {
        // 1000 ham from 0.0 to 0.5, 100 spam from 0.3 to 1.0
        List<CrossValidation.Scored> s = scores(ramp(1000, 0.0, 0.5), ramp(100, 0.3, 1.0));
        CrossValidation.Result r = new CrossValidation.Result(2, Options.defaults(), s);

        CrossValidation.Bar bar = new CrossValidation.Bar(0.9, 0.005);
        double t = r.thresholdFor(bar);
        CrossValidation.Confusion c = r.at(t);

        assertThat(c.hamFlagged()).isEqualTo(5); // 0.5 % of 1000
        assertThat(r.at(Math.nextDown(t)).hamFlagged()).isEqualTo(6);
        assertThat(c.hamFlagged() + c.hamPassed()).isEqualTo(1000);
        assertThat(c.spamFlagged() + c.spamMissed()).isEqualTo(100);
        assertThat(r.hamFlagged(t))
                .extracting(CrossValidation.Scored::name)
                .containsExactly("ham/999", "ham/998", "ham/997", "ham/996", "ham/995");
    }

    @Test
    void aModelBelowTheBarFailsWithATable() {
        List<CrossValidation.Scored> s = scores(ramp(1000, 0.0, 0.5), ramp(100, 0.3, 1.0));
        CrossValidation.Result r = new CrossValidation.Result(2, Options.defaults(), s);

        CrossValidation.Gate strict = r.check(new CrossValidation.Bar(0.95, 0.005));
        CrossValidation.Gate lenient = r.check(new CrossValidation.Bar(0.5, 0.005));

        assertThat(strict.passed()).isFalse();
        assertThat(lenient.passed()).isTrue();
        assertThat(strict.atBar().spamRecall()).isEqualTo(lenient.atBar().spamRecall());
        assertThat(strict.folds()).hasSize(2);
        assertThat(strict.table())
                .contains("fold ", "spam-recall", "\n1 ", "\n2 ", "\nall ")
                .contains("FAILED: spam recall 72.00% is below the bar of 95.00%");
        assertThat(lenient.table()).contains("passed: spam recall 72.00% >= 50.00%");
    }

    @Test
    void noHamMayBeFlaggedAtAZeroRate() {
        List<CrossValidation.Scored> s = scores(new double[] {0.1, 1.0}, new double[] {1.0, 0.9});
        CrossValidation.Result r = new CrossValidation.Result(2, Options.defaults(), s);
        double t = r.thresholdFor(new CrossValidation.Bar(0.5, 0));
        assertThat(t).isGreaterThan(1.0);
        assertThat(r.at(t).hamFlagged()).isZero();
        assertThat(r.at(t).spamFlagged()).isZero();
    }

    @Test
    void barsOutsideTheirRangesAreRefused() {
        assertThatThrownBy(() -> new CrossValidation.Bar(1.5, 0.01))
                .hasMessage("1.5 is not a valid spam recall: it is a fraction from 0 to 1");
        assertThatThrownBy(() -> new CrossValidation.Bar(0.9, 1))
                .hasMessage(
                        "1.0 is not a valid ham false-positive rate: it is a fraction from 0 to"
                                + " below 1");
    }

    @Test
    void aClassTooSmallForTheFoldsIsRefused() {
        Corpus tiny = Mail.sample(Mail.policyCorpus(), 60); // 42 ham, 9 spam
        assertThat(tiny.count(Label.SPAM)).isEqualTo(9);
        assertThatThrownBy(() -> CrossValidation.run(tiny, Options.defaults(), 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "9 spam messages are too few for 5-fold cross-validation: at least 10"
                                + " are needed");
        assertThatThrownBy(() -> CrossValidation.run(tiny, Options.defaults(), 1))
                .hasMessage("1 folds: cross-validation needs at least 2");
    }

    @Test
    void foldsAreBalancedDeterministicAndEveryMessageIsScoredOnce() {
        Corpus sample = Mail.sample(Mail.policyCorpus(), 10); // 250 ham, 50 spam
        CrossValidation.Result a = CrossValidation.run(sample, Options.defaults(), 5);
        CrossValidation.Result b = CrossValidation.run(sample, Options.defaults(), 5);

        assertThat(a.scored()).isEqualTo(b.scored());
        assertThat(a.scored()).hasSize(300);
        CrossValidation.Gate g = a.check(new CrossValidation.Bar(0.8, 0.01));
        assertThat(g.folds()).extracting(CrossValidation.Fold::ham).containsOnly(50);
        assertThat(g.folds()).extracting(CrossValidation.Fold::spam).containsOnly(10);
        assertThat(g.passed()).as(g.table()).isTrue();
    }

    @Test
    void trainingRunsTheSameCrossValidationAndShipsTheFullModel() {
        Corpus sample = Mail.sample(Mail.policyCorpus(), 10);
        Training t = Training.run(sample, Options.defaults(), 5);
        assertThat(t.crossValidation().scored())
                .isEqualTo(CrossValidation.run(sample, Options.defaults(), 5).scored());
        assertThat(t.classifier().sha256())
                .isEqualTo(Trainer.train(sample, Options.defaults()).sha256());
    }
}
