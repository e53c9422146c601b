package dev.bulwark.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bulwark.flow.Trial;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The {@code classifier:} section through the compiler: trained from a policy directory's corpus,
 * gated at the bar, named in the canonical form, embedded and loaded back, and used by the {@code
 * classifier} matcher.
 */
class ClassifierSectionTest {

    @TempDir Path temp;

    private static final String[] HAM_WORDS = {
        "meeting",
        "agenda",
        "project",
        "schedule",
        "review",
        "minutes",
        "kernel",
        "patch",
        "release",
        "build",
        "thanks",
        "regards",
        "lunch",
        "tomorrow",
        "draft",
        "budget"
    };
    private static final String[] SPAM_WORDS = {
        "viagra",
        "casino",
        "winner",
        "prize",
        "cheap",
        "pills",
        "bonus",
        "jackpot",
        "offer",
        "unsubscribe",
        "guaranteed",
        "millions",
        "lottery",
        "discount",
        "refinance",
        "cash"
    };

    private static String mail(String from, String subject, String body) {
        return "From: "
                + from
                + "\r\nTo: bob@example.com\r\nSubject: "
                + subject
                + "\r\nMessage-ID: <"
                + Integer.toHexString((subject + body).hashCode())
                + "@example.org>\r\nDate: Mon, 2 Sep 2002 10:00:00 +0000\r\n\r\n"
                + body
                + "\r\n";
    }

    /** {@code n} distinct messages made of words of one class. */
    private static void write(Path dir, String[] words, String from, int n) throws IOException {
        write(dir, words, from, 0, n);
    }

    /** Messages {@code from} to {@code to - 1} of a class's series. */
    private static void write(Path dir, String[] words, String from, int first, int n)
            throws IOException {
        Files.createDirectories(dir);
        for (int i = first; i < first + n; i++) {
            StringBuilder body = new StringBuilder();
            for (int k = 0; k < 12; k++) {
                body.append(words[(i * 7 + k * 3) % words.length]).append(' ');
            }
            body.append("number").append(i);
            Files.writeString(
                    dir.resolve(String.format("%03d.eml", i)),
                    mail(from, words[i % words.length] + " " + i, body.toString()),
                    StandardCharsets.UTF_8);
        }
    }

    private Path policy(String classifier, String rules, int ham, int spam) throws IOException {
        Path dir = temp.resolve("policy");
        write(dir.resolve("corpus/ham"), HAM_WORDS, "alice@example.org", ham);
        write(dir.resolve("corpus/spam"), SPAM_WORDS, "deals@example.biz", spam);
        Files.writeString(
                dir.resolve("inbound.yaml"),
                "relay-domains: [example.com]\nthresholds: {tag: 4}\n"
                        + classifier
                        + "rules:\n  data:\n"
                        + rules);
        return dir;
    }

    private static final String SECTION =
            """
            classifier:
              corpus: {ham: corpus/ham, spam: corpus/spam}
              folds: 2
              bar: {spam-recall: 0.9, ham-false-positives: 0.1}
            """;

    private static final String RULE =
            """
                - id: classifier-spam
                  when: {classifier: {above: 0.9}}
                  score: 5
            """;

    @Test
    void aCorpusThatPassesItsBarGivesAModelNamedInTheCanonicalForm() throws Exception {
        Path dir = policy(SECTION, RULE, 12, 12);

        CompiledPolicy p = CompiledPolicy.compile(dir);

        assertThat(p.classifier()).isPresent();
        String sha = p.classifier().get().sha256();
        assertThat(p.canonicalForm()).contains("\"model\": \"" + sha + "\"");
        assertThat(p.canonicalForm()).doesNotContain("corpus/ham");
        assertThat(p.classifierReport().orElseThrow())
                .contains("passed: spam recall")
                .contains("classifier model " + sha);
        assertThat(p.warnings()).isEmpty();
    }

    @Test
    void theClassifierMatcherScoresSpamLikeMailAndTheProbabilityIsInTheDecision() throws Exception {
        CompiledPolicy p = CompiledPolicy.compile(policy(SECTION, RULE, 12, 12));

        Trial spam =
                TestPolicies.run(
                        p,
                        mail(
                                "deals@example.biz",
                                "winner jackpot",
                                "casino bonus prize cheap pills lottery cash millions offer"));
        Trial ham =
                TestPolicies.run(
                        p,
                        mail(
                                "alice@example.org",
                                "agenda",
                                "project meeting tomorrow, review the draft budget and minutes"));

        assertThat(spam.fired()).contains("classifier-spam");
        assertThat(spam.verdictName()).isEqualTo("tag");
        assertThat(ham.fired()).doesNotContain("classifier-spam");
        assertThat(ham.verdictName()).isEqualTo("deliver");
        assertThat(dataProbability(spam)).isGreaterThan(0.9);
        assertThat(dataProbability(ham)).isLessThan(0.5);
    }

    @Test
    void theProbabilityIsInTheAuditRecordAndTheTraceHeader() throws Exception {
        CompiledPolicy p = CompiledPolicy.compile(policy(SECTION, RULE, 12, 12));

        Trial ham =
                TestPolicies.run(
                        p,
                        mail(
                                "alice@example.org",
                                "agenda",
                                "project meeting tomorrow, review the draft budget and minutes"));

        double probability = dataProbability(ham);
        String shown = dev.bulwark.classifier.Score.format(probability);
        assertThat(ham.records()).singleElement();
        assertThat(ham.records().get(0).classifier().getAsDouble()).isEqualTo(probability);
        assertThat(dev.bulwark.audit.JsonAuditLog.format(ham.records().get(0)))
                .contains("\"score\":0,\"classifier\":" + shown + ",\"rules\":");
        assertThat(new String(ham.deliveries().get(0).message(), StandardCharsets.UTF_8))
                .containsPattern(
                        "X-Bulwark: verdict=accept; score=0; classifier="
                                + java.util.regex.Pattern.quote(shown)
                                + "; policy=[0-9a-f]{64}; id=");
    }

    @Test
    void aPolicyWithoutAClassifierWritesNoProbability() {
        Trial t =
                TestPolicies.run(
                        TestPolicies.policy("relay-domains: [example.com]\n"),
                        mail("alice@example.org", "agenda", "see you at the meeting"));

        assertThat(t.records().get(0).classifier()).isEmpty();
        assertThat(dev.bulwark.audit.JsonAuditLog.format(t.records().get(0)))
                .doesNotContain("classifier");
        assertThat(new String(t.deliveries().get(0).message(), StandardCharsets.UTF_8))
                .doesNotContain("classifier=");
    }

    private static double dataProbability(Trial t) {
        return t.steps().stream()
                .filter(s -> s.decision().classifier().isPresent())
                .findFirst()
                .orElseThrow()
                .decision()
                .classifier()
                .getAsDouble();
    }

    @Test
    void theEmbeddedPolicyCarriesItsModelAndCompilesToTheSameDigest() throws Exception {
        CompiledPolicy p = CompiledPolicy.compile(policy(SECTION, RULE, 12, 12));
        Path classes = temp.resolve("classes");
        p.writeEmbedded(classes);

        byte[] model = Files.readAllBytes(classes.resolve(CompiledPolicy.EMBEDDED_MODEL));
        CompiledPolicy back =
                CompiledPolicy.verifyEmbedded(
                        Files.readString(classes.resolve(CompiledPolicy.EMBEDDED_POLICY)),
                        Files.readString(classes.resolve(CompiledPolicy.EMBEDDED_DIGEST)),
                        Optional.of(model),
                        Optional.empty());

        assertThat(back.digest()).isEqualTo(p.digest());
        assertThat(back.classifier().orElseThrow().sha256())
                .isEqualTo(p.classifier().orElseThrow().sha256());
        assertThat(back.classifierReport()).isEmpty();
    }

    @Test
    void aCanonicalFormWithoutItsModelOrWithAnotherModelDoesNotCompile() throws Exception {
        CompiledPolicy p = CompiledPolicy.compile(policy(SECTION, RULE, 12, 12));

        assertThatThrownBy(() -> CompiledPolicy.fromCanonical("c.json", p.canonicalForm()))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("error: the model " + p.classifier().get().sha256())
                .hasMessageContaining("is not here");
        byte[] other = p.classifierModel().orElseThrow();
        other[other.length - 1] ^= 1;
        assertThatThrownBy(
                        () ->
                                CompiledPolicy.fromCanonical(
                                        "c.json",
                                        p.canonicalForm(),
                                        Optional.of(other),
                                        Optional.empty()))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("c.json:");
    }

    @Test
    void anotherCorpusGivesAnotherModelAndAnotherDigest() throws Exception {
        CompiledPolicy first = CompiledPolicy.compile(policy(SECTION, RULE, 12, 12));
        Files.writeString(
                temp.resolve("policy/corpus/spam/extra.eml"),
                mail("x@example.biz", "cheap cash", "refinance discount lottery guaranteed"));

        CompiledPolicy second = CompiledPolicy.compile(temp.resolve("policy"));

        assertThat(second.classifier().get().sha256())
                .isNotEqualTo(first.classifier().get().sha256());
        assertThat(second.digest()).isNotEqualTo(first.digest());
    }

    @Test
    void aModelBelowItsBarFailsAtTheBarWithTheTable() throws Exception {
        // ham and spam written with the same words: nothing tells them apart
        Path dir = temp.resolve("policy");
        write(dir.resolve("corpus/ham"), HAM_WORDS, "alice@example.org", 0, 16);
        write(dir.resolve("corpus/spam"), HAM_WORDS, "alice@example.org", 16, 16);
        Files.writeString(
                dir.resolve("inbound.yaml"),
                """
                relay-domains: [example.com]
                classifier:
                  corpus: {ham: corpus/ham, spam: corpus/spam}
                  folds: 2
                  bar: {spam-recall: 0.99, ham-false-positives: 0}
                """);

        assertThatThrownBy(() -> CompiledPolicy.compile(dir))
                .isInstanceOfSatisfying(
                        PolicyException.class,
                        e -> {
                            assertThat(e.errors()).hasSize(1);
                            assertThat(e.errors().get(0).toString())
                                    .startsWith(
                                            dir.resolve("inbound.yaml")
                                                    + ":5:8: error: the classifier is below its"
                                                    + " bar: 2-fold cross-validation flags ");
                            assertThat(e.errors().get(0).message())
                                    .contains("the bar is 99.00% at most 0.00%");
                            assertThat(e.report())
                                    .contains("fold     ham  spam")
                                    .contains("FAILED: spam recall");
                        });
    }

    @Test
    void anEmptyClassOrACorpusTooSmallForTheFoldsIsAnErrorAtItsPath() throws Exception {
        Path dir = policy(SECTION.replace("folds: 2", "folds: 5"), RULE, 6, 12);
        Files.createDirectories(dir.resolve("corpus/none"));
        assertThatThrownBy(() -> CompiledPolicy.compile(dir))
                .hasMessageContaining(
                        dir.resolve("inbound.yaml")
                                + ":4:17: error: the ham corpus 'corpus/ham' has 6 usable"
                                + " messages: 5-fold cross-validation needs at least 10 (two per"
                                + " fold)");

        Files.writeString(
                dir.resolve("inbound.yaml"),
                Files.readString(dir.resolve("inbound.yaml"))
                        .replace("spam: corpus/spam", "spam: corpus/none"));
        assertThatThrownBy(() -> CompiledPolicy.compile(dir))
                .hasMessageContaining(
                        ":4:35: error: the spam corpus 'corpus/none' has no usable message");
    }

    @Test
    void anUnusableCorpusMessageIsAWarningNamingTheFile() throws Exception {
        Path dir = policy(SECTION, RULE, 12, 12);
        Files.writeString(dir.resolve("corpus/ham/broken.eml"), "no header here, just text\r\n");

        CompiledPolicy p = CompiledPolicy.compile(dir);

        assertThat(p.warnings())
                .singleElement()
                .satisfies(
                        w -> {
                            assertThat(w.file()).endsWith("corpus/ham/broken.eml");
                            assertThat(w.isError()).isFalse();
                            assertThat(w.message()).startsWith("corpus message left out: ");
                        });
    }

    @Test
    void aMissingCorpusAndBadValuesAreErrorsWhereTheyAreWritten() throws Exception {
        Path dir =
                policy(
                        """
                        classifier:
                          corpus: {ham: corpus/hams, spam: corpus/spam}
                          algorithm: logistik
                          folds: 1
                          bar: {spam-recall: 1.5, ham-false-positives: 0.01}
                        """,
                        RULE,
                        12,
                        12);
        assertThatThrownBy(() -> CompiledPolicy.compile(dir))
                .isInstanceOfSatisfying(
                        PolicyException.class,
                        e ->
                                assertThat(e.errors().stream().map(Diagnostic::toString))
                                        .containsExactly(
                                                dir.resolve("inbound.yaml")
                                                        + ":5:14: error: unknown classifier"
                                                        + " algorithm 'logistik' (did you mean"
                                                        + " 'logistic'?): one of"
                                                        + " robinson-fisher, logistic",
                                                dir.resolve("inbound.yaml")
                                                        + ":6:10: error: 'folds' must be a whole"
                                                        + " number from 2 to 20, not 1",
                                                dir.resolve("inbound.yaml")
                                                        + ":7:22: error: 'spam-recall' is the"
                                                        + " fraction of spam the model must flag:"
                                                        + " above 0, at most 1, not 1.5"));

        Files.writeString(
                dir.resolve("inbound.yaml"),
                "relay-domains: [example.com]\n" + SECTION.replace("corpus/ham", "corpus/hams"));
        assertThatThrownBy(() -> CompiledPolicy.compile(dir))
                .hasMessageContaining(
                        ":3:17: error: corpus 'corpus/hams' does not exist: "
                                + dir.resolve("corpus/hams"));
    }

    @Test
    void theMatcherWithoutAClassifierSectionIsAnError() throws Exception {
        Path dir = policy("", RULE, 0, 0);
        assertThatThrownBy(() -> CompiledPolicy.compile(dir))
                .hasMessageContaining(
                        ":6:14: error: 'classifier' needs a 'classifier' section at the top of the"
                                + " policy");
        Files.writeString(
                dir.resolve("inbound.yaml"),
                "relay-domains: [example.com]\n"
                        + SECTION
                        + "rules:\n  data:\n    - id: x\n      when: {classifier: {above: 0.9,"
                        + " below: 0.5}}\n      score: 1\n");
        assertThatThrownBy(() -> CompiledPolicy.compile(dir))
                .hasMessageContaining("error: 'classifier' can never match");
    }

    @Test
    void theRepositoryPolicyTrainsItsClassifierAndPassesItsBar() throws Exception {
        CompiledPolicy p = CompiledPolicy.compile(Path.of("policy"));
        assertThat(p.classifier()).isPresent();
        assertThat(p.classifierReport().orElseThrow()).contains("passed: spam recall");
        assertThat(p.classifier().get().bytes().length).isLessThan(10 * 1024 * 1024);
        assertThat(List.of(p.canonicalForm().split("\n")))
                .contains("    \"model\": \"" + p.classifier().get().sha256() + "\"");
    }
}
