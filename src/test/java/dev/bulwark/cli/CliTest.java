package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.testing.NsdServer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

class CliTest {

    @TempDir Path temp;

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

    @Test
    void policyCompilePrintsTheDigestAndTheClassifiersCrossValidation() {
        Run r = cli("policy", "compile", "policy");
        assertThat(r.code).isZero();
        assertThat(r.out).matches("digest [0-9a-f]{64}\\n");
        assertThat(r.err)
                .startsWith("classifier cross-validation: logistic, 5 folds")
                .contains("passed: spam recall")
                .containsPattern("classifier model [0-9a-f]{64}: logistic")
                .doesNotContain("warning")
                .doesNotContain("error");
    }

    @Test
    void policyCompileReportsEveryErrorAndFails() throws IOException {
        Path dir = temp.resolve("p");
        Files.createDirectories(dir);
        Files.writeString(
                dir.resolve("inbound.yaml"),
                """
                relay-domains: [example.com]
                rules:
                  data:
                    - id: x
                      when: {body-matches: '(unclosed'}
                      acton: reject
                """);
        Run r = cli("policy", "compile", dir.toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err)
                .isEqualTo(
                        dir.resolve("inbound.yaml")
                                + ":4:7: error: rule 'x' needs an 'action' or a 'score'\n"
                                + dir.resolve("inbound.yaml")
                                + ":5:28: error: invalid regex in 'body-matches': missing closing"
                                + " ): \"(unclosed\"\n"
                                + dir.resolve("inbound.yaml")
                                + ":6:7: error: unknown key 'acton' in a rule (did you mean"
                                + " 'action'?)\n"
                                + "3 error(s)\n");
    }

    @Test
    void policyTestRunsTheGate() {
        Run r = cli("policy", "test", "policy");
        assertThat(r.code).as(r.out).isZero();
        assertThat(r.out).containsPattern("policy-tests: \\d+ passed, 0 failed");
    }

    @Test
    void checkPrintsEachStageTheVerdictAndWhatMatched() throws IOException {
        Path message = temp.resolve("m.eml");
        Files.writeString(
                message,
                """
                From: a@example.org
                Subject: hello
                Date: Tue, 3 Sep 2024 10:00:00 +0000
                Message-ID: <1@example.org>

                XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X
                """);
        Run r =
                cli(
                        "check",
                        "--policy",
                        "policy",
                        "--client",
                        "198.51.100.9",
                        "--helo",
                        "mx.example.org",
                        "--from",
                        "a@example.org",
                        "--to",
                        "bob@example.com",
                        message.toString());
        assertThat(r.code).as("a rejected message").isEqualTo(1);
        assertThat(r.out)
                .contains("connect  198.51.100.9", "rcpt     <bob@example.com>")
                .contains("fired  gtube: body-contains \"XJS*C4JDBQADN1")
                .contains(
                        "verdict  reject \"Message identified as spam (GTUBE)\" (POLICY) at data,"
                                + " score 0");
    }

    @Test
    void checkShowsScoresAndShadowHits() throws IOException {
        Path message = temp.resolve("m.eml");
        Files.writeString(
                message, "Subject: trip\nDate: x\nMessage-ID: <1@x>\n\nhttps://bit.ly/abc\n");
        Run r = cli("check", "--policy", "policy", "--helo", "198.51.100.25", message.toString());
        assertThat(r.out)
                .contains("fired  helo-bare-ip (+2.5): helo-is bare-ip: \"198.51.100.25\"")
                .contains("shadow url-shortener: url-host-in inline: bit.ly matches bit.ly")
                .contains("verdict  deliver at data, score 2.5");
    }

    @Test
    void checkUsesTheEmbeddedPolicyByDefault() throws IOException {
        Path message = temp.resolve("m.eml");
        Files.writeString(message, "Subject: hi\n\nhello\n");
        Run r = cli("check", message.toString());
        assertThat(r.code).isZero();
        assertThat(r.out).startsWith("policy   embedded ");
    }

    private static final String FORGED =
            "From: Bank <news@bank.example>\nSubject: hi\nMessage-ID: <1@x>\n\nhello\n";

    @Test
    void checkIsOfflineByDefaultAndReplaysRecordedAnswers() throws IOException {
        Path message = temp.resolve("m.eml");
        Files.writeString(message, FORGED);
        Run offline = cli("check", "--policy", "policy", "--from", "a@bank.example", "" + message);
        assertThat(offline.out)
                .contains("dns      offline: every question is NXDOMAIN")
                .contains("auth     spf=none")
                .contains("dmarc=none");
        Path answers = temp.resolve("answers.zone");
        Files.writeString(
                answers,
                "bank.example. TXT \"v=spf1 -all\"\n_dmarc.bank.example. TXT \"v=DMARC1;"
                        + " p=reject\"\n");
        Run recorded =
                cli(
                        "check",
                        "--policy",
                        "policy",
                        "--from",
                        "a@bank.example",
                        "--dns-answers",
                        answers.toString(),
                        message.toString());
        assertThat(recorded.out)
                .contains("dns      recorded answers in " + answers)
                .contains("fired  spf-fail (+3)")
                .contains("fired  dmarc-reject")
                .contains("auth     spf=fail")
                .contains("dnsbl    zen.spamhaus.org 198.51.100.25: not_listed");
    }

    @Test
    void checkWithDnsAsksTheResolverLive() throws IOException {
        Path message = temp.resolve("m.eml");
        Files.writeString(message, FORGED);
        try (NsdServer nsd =
                NsdServer.start(
                        new NsdServer.Zones()
                                .zone(
                                        "bank.example",
                                        "@ TXT \"v=spf1 ip4:198.51.100.0/24 -all\"",
                                        "_dmarc TXT \"v=DMARC1; p=reject\""))) {
            String server =
                    nsd.address().getAddress().getHostAddress() + ":" + nsd.address().getPort();
            Run r =
                    cli(
                            "check",
                            "--policy",
                            "policy",
                            "--from",
                            "a@bank.example",
                            "--dns",
                            server,
                            message.toString());
            assertThat(r.out)
                    .contains("dns      live, " + server)
                    .contains("auth     spf=pass")
                    .contains("dmarc=pass")
                    .contains("verdict  deliver");
        }
    }

    @Test
    void unknownCommandsAreNamedWithTheUsage() {
        Run r = cli("frobnicate");
        assertThat(r.code).isEqualTo(2);
        assertThat(r.err)
                .startsWith("bulwark: Unmatched argument at index 0: 'frobnicate'")
                .contains("usage: bulwark [-hV] [COMMAND]", "  serve ", "  check ");
    }

    @Test
    void checkShowsTheDescriptionOfEachRuleThatFired() throws IOException {
        Path message = temp.resolve("m.eml");
        Files.writeString(
                message,
                "Subject: hi\n\n"
                        + "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n");
        Run r = cli("check", "--policy", "policy", message.toString());
        assertThat(r.out)
                .contains(
                        "fired  gtube: body-contains",
                        "\u2014 the Generic Test for Unsolicited Bulk Email\n");
    }

    @Test
    void checkExitsZeroWhenAcceptedOneWhenRejectedThreeWhenDeferred() throws IOException {
        Path dir = temp.resolve("p");
        Files.createDirectories(dir);
        Files.writeString(
                dir.resolve("inbound.yaml"),
                """
                relay-domains: [example.com]
                rules:
                  data:
                    - id: hold
                      description: mail that says wait is held back
                      when: {subject-contains: wait}
                      action: defer
                    - id: refuse
                      when: {subject-contains: refuse}
                      action: reject
                """);
        Path accepted = Files.writeString(temp.resolve("a.eml"), "Subject: hello\n\nhi\n");
        Path deferred = Files.writeString(temp.resolve("d.eml"), "Subject: wait\n\nhi\n");
        Path rejected = Files.writeString(temp.resolve("r.eml"), "Subject: refuse\n\nhi\n");

        assertThat(cli("check", "--policy", dir.toString(), accepted.toString()).code).isZero();
        Run defer = cli("check", "--policy", dir.toString(), deferred.toString());
        assertThat(defer.code).as(defer.out).isEqualTo(3);
        assertThat(defer.out).contains("\u2014 mail that says wait is held back");
        assertThat(cli("check", "--policy", dir.toString(), rejected.toString()).code).isEqualTo(1);
    }

    @Test
    void checkExitsFourWhenThePolicyIsInvalid() throws IOException {
        Path dir = temp.resolve("bad");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("inbound.yaml"), "relay-domains: [example.com]\nrulez: {}\n");
        Path m = Files.writeString(temp.resolve("m.eml"), "Subject: hi\n\nhi\n");
        Run r = cli("check", "--policy", dir.toString(), m.toString());
        assertThat(r.code).isEqualTo(4);
        assertThat(r.err).contains("inbound.yaml:2:1: error:");
    }

    @Test
    void aMalformedValueIsAUsageErrorThatNamesIt() throws IOException {
        Path m = Files.writeString(temp.resolve("m.eml"), "Subject: hi\n\nhi\n");
        Run r = cli("check", "--policy", "policy", "--client", "not-an-ip", m.toString());
        assertThat(r.code).isEqualTo(2);
        assertThat(r.err).startsWith("bulwark check: ").contains("not-an-ip");
        Run twice = cli("check", "--dns", "system", "--dns-answers", "a.zone", m.toString());
        assertThat(twice.code).isEqualTo(2);
        assertThat(twice.err)
                .startsWith("bulwark check: --dns and --dns-answers exclude each other")
                .contains("usage: bulwark check ");
    }

    @Test
    void policyTestShowsTheDescriptionsOfTheRulesInAMismatch() throws IOException {
        Path dir = temp.resolve("p");
        Files.createDirectories(dir.resolve("tests/messages"));
        Files.writeString(
                dir.resolve("inbound.yaml"),
                """
                relay-domains: [example.com]
                rules:
                  data:
                    - id: hold
                      description: mail that says wait is held back
                      when: {subject-contains: wait}
                      action: defer
                """);
        Files.writeString(dir.resolve("tests/messages/wait.eml"), "Subject: wait\n\nhi\n");
        Files.writeString(
                dir.resolve("tests/cases.yaml"),
                """
                defaults:
                  client: 198.51.100.25
                  helo: mail.example.org
                  sender: alice@example.org
                  recipients: [bob@example.com]
                cases:
                  - name: waiting-is-delivered
                    message: messages/wait.eml
                    expect: deliver
                """);
        Run r = cli("policy", "test", dir.toString());
        assertThat(r.code).as(r.err).isEqualTo(1);
        assertThat(r.out)
                .contains("waiting-is-delivered")
                .contains(
                        "rules that fired above:\n"
                                + "  hold \u2014 mail that says wait is held back\n");
    }
}
