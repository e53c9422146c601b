package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.classifier.Classifier;
import dev.bulwark.classifier.Corpus;
import dev.bulwark.classifier.CorpusMessage;
import dev.bulwark.classifier.Label;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class ClassifierCommandTest {

    @TempDir static Path temp;

    private record Run(int code, String out, String err) {}

    private static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code =
                Cli.run(
                        args,
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(
                code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A small corpus folder: every 20th message of each class of policy/corpus, as files. */
    @BeforeAll
    static void smallCorpus() throws IOException {
        Corpus all =
                Corpus.read(
                        List.of(
                                new Corpus.Source(Path.of("policy/corpus/ham"), "ham", Label.HAM),
                                new Corpus.Source(
                                        Path.of("policy/corpus/spam"), "spam", Label.SPAM)));
        int n = 0;
        for (CorpusMessage m : all.messages()) {
            if (n++ % 20 == 0) {
                Path dir = temp.resolve("corpus").resolve(m.label().word());
                Files.createDirectories(dir);
                Files.write(dir.resolve(m.sha256() + ".eml"), m.bytes());
            }
        }
        Files.writeString(temp.resolve("corpus/ham/broken.eml"), "no header here\n");
    }

    @Test
    void trainPrintsTheGateTableWritesTheModelAndWarnsAboutBadMessages() throws Exception {
        Path model = temp.resolve("model.bin");
        Run r =
                cli(
                        "classifier",
                        "train",
                        temp.resolve("corpus").toString(),
                        "--folds",
                        "3",
                        "--recall",
                        "0.5",
                        "--max-fp",
                        "0.02",
                        "--out",
                        model.toString());

        assertThat(r.code).as(r.out + r.err).isZero();
        assertThat(r.out)
                .contains("classifier cross-validation: logistic, 3 folds")
                .contains("passed: spam recall")
                .containsPattern("model [0-9a-f]{64}: logistic, \\d+ tokens");
        assertThat(r.err)
                .isEqualTo(
                        temp.resolve("corpus/ham/broken.eml")
                                + ": warning: does not start with a header field; not used for"
                                + " training\n");
        assertThat(Classifier.load(Files.readAllBytes(model)).tokens()).isPositive();
    }

    @Test
    void trainFailsWhenTheModelIsBelowTheBar() {
        Run r =
                cli(
                        "classifier",
                        "train",
                        temp.resolve("corpus").toString(),
                        "--folds",
                        "3",
                        "--recall",
                        "1",
                        "--max-fp",
                        "0");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.out).contains("FAILED: spam recall");
    }

    @Test
    void measureComparesAlgorithmsOnTheHeldBackPartAndEvaluatesOtherFolders() {
        Run r =
                cli(
                        "classifier",
                        "measure",
                        temp.resolve("corpus").toString(),
                        "--folds",
                        "3",
                        "--algorithm",
                        "robinson-fisher",
                        "--algorithm",
                        "logistic",
                        "--evaluate-spam",
                        temp.resolve("corpus/spam").toString());
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out)
                .contains("held back (last 20% by name)")
                .containsPattern("\\nrobinson-fisher +\\d+")
                .containsPattern("\\nlogistic +\\d+")
                .contains("for information only")
                .containsPattern("logistic +.*corpus/spam +spam +\\d+ +flagged");
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertThat(cli("classifier").code).isEqualTo(2);
        Run unknown = cli("classifier", "train", temp.toString(), "--algorithm", "naive");
        assertThat(unknown.code).isEqualTo(2);
        assertThat(unknown.err)
                .startsWith(
                        "bulwark classifier train: unknown algorithm 'naive': robinson-fisher or"
                                + " logistic\nusage: bulwark classifier train ");
        Run folds = cli("classifier", "train", temp.toString(), "--folds", "1");
        assertThat(folds.err)
                .startsWith(
                        "bulwark classifier train: invalid value '1' for --folds: a number from 2"
                                + " to 100");
        Run missing = cli("classifier", "train", temp.resolve("nope").toString());
        assertThat(missing.code).isEqualTo(1);
        assertThat(missing.err).isEqualTo(temp.resolve("nope/ham") + ": no such file or folder\n");
    }
}
