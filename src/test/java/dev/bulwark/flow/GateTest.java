package dev.bulwark.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bulwark.policy.Cases;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Diagnostic;
import dev.bulwark.policy.PolicyException;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The ruleset gate: cases run through the flow; mismatches are reported in a table. */
class GateTest {

    @TempDir Path temp;

    Path dir;

    @BeforeEach
    void writePolicy() throws IOException {
        dir = temp.resolve("policy");
        Files.createDirectories(dir.resolve("tests/messages"));
        Files.writeString(
                dir.resolve("inbound.yaml"),
                """
                relay-domains: [example.com]
                rules:
                  data:
                    - id: no-offers
                      when: {subject-contains: offer}
                      action: reject
                """);
        Files.writeString(
                dir.resolve("tests/messages/offer.eml"), "Subject: special offer\n\nbuy\n");
    }

    private Gate.Report run() throws IOException, PolicyException {
        CompiledPolicy p = CompiledPolicy.compile(dir);
        return Gate.run(p, Cases.load(dir, p));
    }

    @Test
    void passingCasesPass() throws IOException, PolicyException {
        Files.writeString(
                dir.resolve("tests/cases.yaml"),
                """
                defaults: {client: 198.51.100.1, helo: mail.example.org, sender: a@example.org,
                           recipients: [b@example.com]}
                cases:
                  - name: offer-rejected
                    message: messages/offer.eml
                    expect: reject
                    stage: data
                    fires: [no-offers]
                  - name: plain-delivered
                    expect: deliver
                    not-fires: [no-offers]
                """);
        Gate.Report r = run();
        assertThat(r.passed()).isEqualTo(2);
        assertThat(r.failed()).isZero();
        assertThat(r.coverage()).isEmpty();
    }

    @Test
    void aMismatchIsReportedInATableWithTheRulesThatFired() throws IOException, PolicyException {
        Files.writeString(
                dir.resolve("tests/cases.yaml"),
                """
                defaults: {client: 198.51.100.1, helo: mail.example.org, sender: a@example.org,
                           recipients: [b@example.com]}
                cases:
                  - name: offer-expected-to-pass
                    message: messages/offer.eml
                    expect: deliver
                  - name: wrong-stage
                    message: messages/offer.eml
                    expect: reject
                    stage: rcpt
                  - name: rule-expected
                    expect: deliver
                    fires: [no-offers]
                """);
        Gate.Report r = run();
        assertThat(r.failed()).isEqualTo(3);
        assertThat(r.table(false))
                .isEqualTo(
                        """
                        case                    expected        got                                          rules fired
                        offer-expected-to-pass  deliver         reject at data  <-- verdict                  no-offers
                        wrong-stage             reject at rcpt  reject at data  <-- stage                    no-offers
                        rule-expected           deliver         deliver at data  <-- no-offers did not fire  -
                        """);
        assertThat(r.coverage()).isEmpty();
    }

    @Test
    void rulesNeverOrAlwaysFiringAreNoted() throws IOException, PolicyException {
        Files.writeString(
                dir.resolve("tests/cases.yaml"),
                """
                cases:
                  - {name: only, client: 198.51.100.1, helo: h.example, sender: "<>", recipients: [b@example.com],
                     expect: deliver}
                """);
        assertThat(run().coverage()).containsExactly("rule 'no-offers' fires in no test case");
    }

    @Test
    void mistakesInCaseFilesAreDiagnosedWithPositions() throws IOException {
        Files.writeString(
                dir.resolve("tests/cases.yaml"),
                """
                defaults: {client: 198.51.100.1, helo: h.example, sender: a@example.org}
                cases:
                  - name: a
                    message: messages/missing.eml
                    recipients: [b@example.com]
                    expect: rejected
                    fires: [no-offer]
                  - name: a
                    client: 300.0.0.1
                    sender: "bad address"
                    expect: deliver
                    colour: blue
                """);
        assertThatThrownBy(this::run)
                .isInstanceOfSatisfying(
                        PolicyException.class,
                        e ->
                                assertThat(e.diagnostics())
                                        .extracting(Diagnostic::toString)
                                        .containsExactly(
                                                dir.resolve("tests/cases.yaml")
                                                        + ":4:14: error: no message file"
                                                        + " 'messages/missing.eml' in "
                                                        + dir.resolve("tests"),
                                                dir.resolve("tests/cases.yaml")
                                                        + ":6:13: error: unknown verdict 'rejected'"
                                                        + " (did you mean 'reject'?): one of"
                                                        + " deliver, accept, reject, defer,"
                                                        + " discard, quarantine, tag",
                                                dir.resolve("tests/cases.yaml")
                                                        + ":7:13: error: unknown rule 'no-offer'"
                                                        + " (did you mean 'no-offers'?)",
                                                dir.resolve("tests/cases.yaml")
                                                        + ":8:5: error: case 'a' has no"
                                                        + " 'recipients' (and no default for it)",
                                                dir.resolve("tests/cases.yaml")
                                                        + ":8:11: error: duplicate case name 'a'"
                                                        + " (first at line 3)",
                                                dir.resolve("tests/cases.yaml")
                                                        + ":9:13: error: '300.0.0.1' is not an IP"
                                                        + " address",
                                                dir.resolve("tests/cases.yaml")
                                                        + ":10:13: error: 'bad address' is not a"
                                                        + " sender: no '@' in address",
                                                dir.resolve("tests/cases.yaml")
                                                        + ":12:5: error: unknown key 'colour' in a"
                                                        + " test case"));
    }

    @Test
    void theRepositoryPolicyPassesItsOwnTests() throws IOException, PolicyException {
        Path repo = Path.of("policy");
        CompiledPolicy p = CompiledPolicy.compile(repo);
        Gate.Report r = Gate.run(p, Cases.load(repo, p));
        assertThat(r.failed()).as(r.table(false)).isZero();
        assertThat(r.passed()).isGreaterThan(40);
        assertThat(r.coverage()).as("every rule fires in some case and not in others").isEmpty();
        assertThat(p.warnings()).isEmpty();
    }
}
