package dev.bulwark.policy;

import static dev.bulwark.policy.TestPolicies.envelope;
import static dev.bulwark.policy.TestPolicies.message;
import static dev.bulwark.policy.TestPolicies.policy;
import static dev.bulwark.policy.TestPolicies.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.check.Connection;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.MailFacts;
import dev.bulwark.check.Message;
import dev.bulwark.check.ReservedIds;
import dev.bulwark.check.Score;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.flow.Trial;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Every action of the language, and how decisions carry across stages and transactions. */
class ActionsTest {

    private static final String SPAMMY =
            """
            From: a@example.org
            To: b@example.com
            Subject: cheap offer
            Date: Tue, 3 Sep 2024 10:00:00 +0000
            Message-ID: <2@example.org>

            buy now
            """;

    @Test
    void rejectAndDeferCarryTheAuthorsReplyText() {
        CompiledPolicy p =
                policy(
                        """
                        rules:
                          data:
                            - id: r
                              when: {subject-contains: cheap}
                              action: reject
                              reply: "No offers please"
                            - id: d
                              when: {subject-contains: lunch}
                              action: defer
                        """);
        Trial rejected = run(p, SPAMMY);
        assertThat(rejected.verdict())
                .isEqualTo(
                        new Verdict.Reject(Verdict.Reason.POLICY, Optional.of("No offers please")));
        assertThat(rejected.stage()).isEqualTo(Stage.DATA);
        Trial deferred = run(p, TestPolicies.PLAIN);
        assertThat(deferred.verdict())
                .isEqualTo(new Verdict.Defer(Verdict.Reason.POLICY, Optional.empty()));
    }

    @Test
    void acceptAtConnectAllowlistsTheWholeSession() {
        CompiledPolicy p =
                policy(
                        """
                        rules:
                          connect:
                            - id: ours
                              when: {client-ip-in: [192.0.2.0/24]}
                              action: accept
                          data:
                            - id: r
                              when: {subject-contains: cheap}
                              action: reject
                        """);
        Trial o =
                run(
                        p,
                        envelope("192.0.2.9", "h.example", "a@example.org", "b@example.com"),
                        SPAMMY);
        assertThat(o.verdict()).isEqualTo(Verdict.ACCEPT);
        assertThat(o.fired()).containsExactly("ours");
        assertThat(run(p, SPAMMY).verdictName()).isEqualTo("reject");
    }

    @Test
    void acceptForOneRecipientSkipsDataOnlyWhenEveryRecipientIsAllowlisted() {
        CompiledPolicy p =
                policy(
                        """
                        rules:
                          rcpt:
                            - id: postmaster
                              when: {recipient-in: [postmaster@example.com]}
                              action: accept
                          data:
                            - id: r
                              when: {subject-contains: cheap}
                              action: reject
                        """);
        assertThat(
                        run(
                                        p,
                                        envelope(
                                                "198.51.100.1",
                                                "h.example",
                                                "a@example.org",
                                                "postmaster@example.com"),
                                        SPAMMY)
                                .verdict())
                .isEqualTo(Verdict.ACCEPT);
        assertThat(
                        run(
                                        p,
                                        envelope(
                                                "198.51.100.1",
                                                "h.example",
                                                "a@example.org",
                                                "postmaster@example.com",
                                                "bob@example.com"),
                                        SPAMMY)
                                .verdictName())
                .isEqualTo("reject");
    }

    @Test
    void discardAndQuarantineDecidedEarlyAreCarriedOutAtData() {
        CompiledPolicy p =
                policy(
                        """
                        quarantine: held@example.com
                        rules:
                          mail:
                            - id: hold
                              when: {sender-in: [suspicious.example]}
                              action: quarantine
                          rcpt:
                            - id: trap
                              when: {recipient-in: [trap@example.com]}
                              action: discard
                          data:
                            - id: r
                              when: {subject-contains: cheap}
                              action: reject
                        """);
        Trial held =
                run(
                        p,
                        envelope(
                                "198.51.100.1",
                                "h.example",
                                "x@suspicious.example",
                                "bob@example.com"),
                        TestPolicies.PLAIN);
        assertThat(held.steps().get(2).decision().verdict())
                .as("MAIL itself continues")
                .isEqualTo(Verdict.CONTINUE);
        assertThat(held.verdict())
                .isEqualTo(new Verdict.Quarantine(Mailbox.of("held@example.com")));
        Trial trapped =
                run(
                        p,
                        envelope(
                                "198.51.100.1",
                                "h.example",
                                "a@example.org",
                                "bob@example.com",
                                "trap@example.com"),
                        SPAMMY);
        assertThat(trapped.verdict())
                .as("discard ends rule evaluation: the data reject does not run")
                .isEqualTo(Verdict.DISCARD);
        assertThat(trapped.fired()).containsExactly("trap");
    }

    @Test
    void tagMergesHeadersAndFillsInScoreAndRules() {
        CompiledPolicy p =
                policy(
                        """
                        thresholds: {tag: 3}
                        tag:
                          subject-prefix: "[SPAM] "
                          headers: {X-Spam-Score: "{score}", X-Spam-Rules: "{rules}"}
                        rules:
                          data:
                            - id: offer
                              when: {subject-contains: offer}
                              action: tag
                              tag: {headers: {X-Offer: "yes"}}
                            - id: cheap
                              when: {subject-contains: cheap}
                              score: 2.5
                            - id: buy
                              when: {body-contains: buy}
                              score: 1
                        """);
        Trial o = run(p, SPAMMY);
        assertThat(o.verdict())
                .isEqualTo(
                        new Verdict.Tag(
                                List.of(
                                        new Verdict.Header("X-Offer", "yes"),
                                        new Verdict.Header("X-Spam-Score", "3.5"),
                                        new Verdict.Header("X-Spam-Rules", "offer,cheap,buy")),
                                Optional.of("[SPAM] ")));
        assertThat(o.fired()).containsExactly("offer", "cheap", "buy", ReservedIds.THRESHOLD_TAG);
    }

    @Test
    void aTagRuleWithoutSettingsOfItsOwnTagsWithThePolicyWideSettings() {
        CompiledPolicy p =
                policy(
                        """
                        tag:
                          subject-prefix: "[OFFER] "
                          headers: {X-Offer: "{rules}"}
                        rules:
                          data:
                            - id: offer
                              when: {subject-contains: offer}
                              action: tag
                        """);
        assertThat(run(p, SPAMMY).verdict())
                .isEqualTo(
                        new Verdict.Tag(
                                List.of(new Verdict.Header("X-Offer", "offer")),
                                Optional.of("[OFFER] ")));
    }

    @Test
    void scoresAddUpAcrossStagesAndThresholdsApplyInOrder() {
        String policy =
                """
                quarantine: held@example.com
                thresholds: {tag: 2, quarantine: 4, reject: 6}
                rules:
                  helo:
                    - id: helo-ip
                      when: {helo-is: bare-ip}
                      score: 2
                  data:
                    - id: cheap
                      when: {subject-contains: cheap}
                      score: 2
                    - id: buy
                      when: {body-contains: buy}
                      score: 2
                """;
        CompiledPolicy p = policy(policy);
        assertThat(
                        run(
                                        p,
                                        envelope(
                                                "198.51.100.1",
                                                "mail.example.org",
                                                "a@example.org",
                                                "b@example.com"),
                                        "Subject: cheap\n\nhello\n")
                                .verdictName())
                .isEqualTo("tag");
        assertThat(
                        run(
                                        p,
                                        envelope(
                                                "198.51.100.1",
                                                "198.51.100.1",
                                                "a@example.org",
                                                "b@example.com"),
                                        "Subject: cheap\n\nhello\n")
                                .verdictName())
                .isEqualTo("quarantine");
        Trial rejected =
                run(
                        p,
                        envelope("198.51.100.1", "198.51.100.1", "a@example.org", "b@example.com"),
                        SPAMMY);
        assertThat(rejected.verdictName()).isEqualTo("reject");
        assertThat(rejected.score()).isEqualTo(Score.of(6));
        assertThat(rejected.fired()).endsWith(ReservedIds.THRESHOLD_REJECT);
    }

    @Test
    void rejectThresholdFiresEarlyOnlyWhenNoLaterRuleCanLowerTheScore() {
        String scoring =
                """
                thresholds: {reject: 3}
                rules:
                  helo:
                    - id: helo-ip
                      when: {helo-is: bare-ip}
                      score: 5
                  data:
                    - id: list
                      when: {header-present: List-Id}
                      score: %s
                """;
        Envelope bareIp =
                envelope("198.51.100.1", "198.51.100.1", "a@example.org", "b@example.com");
        Trial early = run(policy(scoring.formatted("1")), bareIp, TestPolicies.PLAIN);
        assertThat(early.verdictName()).isEqualTo("reject");
        assertThat(early.stage()).isEqualTo(Stage.HELO);
        Trial late =
                run(
                        policy(scoring.formatted("-3")),
                        bareIp,
                        "List-Id: <l.example>\nSubject: s\n\nhi\n");
        assertThat(late.verdictName())
                .as("a negative score at DATA keeps the session going")
                .isEqualTo("deliver");
        assertThat(late.score()).isEqualTo(Score.of(2));
    }

    @Test
    void shadowRulesOnlyRecord() {
        CompiledPolicy p =
                policy(
                        """
                        thresholds: {reject: 1}
                        rules:
                          data:
                            - id: would-reject
                              when: {subject-contains: cheap}
                              action: reject
                              shadow: true
                            - id: would-score
                              when: {body-contains: buy}
                              score: 5
                              shadow: true
                        """);
        Trial o = run(p, SPAMMY);
        assertThat(o.verdictName()).isEqualTo("deliver");
        assertThat(o.score()).isEqualTo(Score.ZERO);
        assertThat(o.hits())
                .extracting(h -> h.ruleId() + ":" + h.shadow() + ":" + h.score().value())
                .containsExactly("would-reject:true:0.0", "would-score:true:5.0");
    }

    @Test
    void refusedRecipientsScoresDoNotCountAndARuleScoresOncePerTransaction() {
        CompiledPolicy p =
                policy(
                        """
                        thresholds: {tag: 3}
                        rules:
                          rcpt:
                            - id: sales
                              when: {recipient-matches: '^sales'}
                              score: 2
                            - id: no-sales2
                              when: {recipient-in: [sales2@example.com]}
                              action: reject
                        """);
        Trial o =
                run(
                        p,
                        envelope(
                                "198.51.100.1",
                                "h.example",
                                "a@example.org",
                                "sales@example.com",
                                "sales1@example.com",
                                "sales2@example.com"),
                        TestPolicies.PLAIN);
        assertThat(o.score())
                .as("sales scored once; the refused sales2 added nothing")
                .isEqualTo(Score.of(2));
        assertThat(o.verdictName()).isEqualTo("deliver");
    }

    @Test
    void sessionScoresCountInEveryTransactionButTransactionScoresDoNot() {
        CompiledPolicy p =
                policy(
                        """
                        thresholds: {tag: 3}
                        rules:
                          helo:
                            - id: single
                              when: {helo-is: single-label}
                              score: 2
                          mail:
                            - id: bounce
                              when: {sender-null: true}
                              score: 2
                        """);
        Evaluation ev =
                p.begin(
                        new Connection(
                                "s1", InetAddress.ofLiteral("198.51.100.1"), Optional.empty()));
        ev.connect();
        ev.helo("desktop");
        ev.mail(
                new MailFacts(
                        dev.bulwark.envelope.ReversePath.nullPath(),
                        OptionalLong.empty(),
                        false,
                        false,
                        false));
        ev.rcpt(Mailbox.of("b@example.com"));
        assertThat(ev.data(Message.of(message(TestPolicies.PLAIN))).verdict())
                .isInstanceOf(Verdict.Tag.class);
        ev.reset();
        ev.mail(
                new MailFacts(
                        Mailbox.of("a@example.org"), OptionalLong.empty(), false, false, false));
        ev.rcpt(Mailbox.of("b@example.com"));
        Decision second = ev.data(Message.of(message(TestPolicies.PLAIN)));
        assertThat(second.verdict()).isEqualTo(Verdict.CONTINUE);
        assertThat(second.score()).isEqualTo(Score.of(2));
    }

    @Test
    void anUnexpectedFailureBecomesATemporaryRefusalNeverAnAccept() {
        CompiledPolicy p =
                policy(
                        """
                        rules:
                          data:
                            - id: r
                              when: {body-contains: x}
                              action: reject
                        """);
        Evaluation ev =
                p.begin(
                        new Connection(
                                "s1", InetAddress.ofLiteral("198.51.100.1"), Optional.empty()));
        ev.connect();
        ev.helo("h.example");
        ev.mail(
                new MailFacts(
                        Mailbox.of("a@example.org"), OptionalLong.empty(), false, false, false));
        ev.rcpt(Mailbox.of("b@example.com"));
        Message unreadable =
                new Message() {
                    @Override
                    public long size() {
                        return 10;
                    }

                    @Override
                    public InputStream open() throws IOException {
                        throw new IOException("spill file vanished");
                    }
                };
        Decision d = ev.data(unreadable);
        assertThat(d.verdict())
                .isEqualTo(new Verdict.Defer(Verdict.Reason.CHECK_FAILED, Optional.empty()));
        assertThat(d.hits())
                .singleElement()
                .satisfies(
                        h -> {
                            assertThat(h.ruleId()).isEqualTo(ReservedIds.INTERNAL_ERROR);
                            assertThat(h.detail()).contains("cannot read the message");
                        });
    }

    @Test
    void aNewGreetingIsJudgedAfresh() {
        CompiledPolicy p =
                policy(
                        """
                        rules:
                          helo:
                            - id: bad
                              when: {helo-is: invalid}
                              action: reject
                        """);
        Evaluation ev =
                p.begin(
                        new Connection(
                                "s1", InetAddress.ofLiteral("198.51.100.1"), Optional.empty()));
        ev.connect();
        assertThat(ev.helo("not valid!").verdict()).isInstanceOf(Verdict.Reject.class);
        assertThat(ev.helo("mail.example.org").verdict()).isEqualTo(Verdict.CONTINUE);
    }
}
