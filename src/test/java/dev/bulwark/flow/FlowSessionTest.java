package dev.bulwark.flow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Connection;
import dev.bulwark.check.Filter;
import dev.bulwark.check.Limits;
import dev.bulwark.check.Verdict;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.PolicyException;
import dev.bulwark.testing.TestFilter;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** The transaction flow on its own: no sockets, the in-memory next hop, real policies. */
class FlowSessionTest {

    private final List<AuditRecord> audit = new CopyOnWriteArrayList<>();
    private final InMemoryNextHop nextHop = new InMemoryNextHop();

    private static final String PLAIN =
            "From: alice@sender.example\r\nSubject: Lunch\r\n\r\nSee you at noon.\r\n";

    private static CompiledPolicy policy(String yaml) {
        try {
            return CompiledPolicy.fromCanonical(
                    "test.yaml", "relay-domains: [example.com]\n" + yaml);
        } catch (PolicyException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    private FlowSession session(Filter filter) {
        Flow flow =
                Flow.builder(Policy.of(filter, List.of()), nextHop)
                        .audit(audit::add)
                        .hostname("relay.test")
                        .build();
        return flow.open(
                new Connection("s1", InetAddress.ofLiteral("198.51.100.25"), Optional.empty()));
    }

    /** Connects, greets and opens a transaction from alice@sender.example. */
    private FlowSession opened(Filter filter) {
        FlowSession s = session(filter);
        assertThat(s.connect().refused()).isFalse();
        assertThat(s.helo("mail.sender.example", true).refused()).isFalse();
        assertThat(s.mail(Mailbox.of("alice@sender.example"), MailParameters.none()).refused())
                .isFalse();
        return s;
    }

    private static Answer send(FlowSession s, String message) throws IOException {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        Incoming in = s.incoming();
        in.chunk(new ByteArrayInputStream(bytes), bytes.length);
        in.last();
        return s.data();
    }

    private String delivered(int i) {
        return new String(nextHop.deliveries().get(i).message(), StandardCharsets.UTF_8);
    }

    @Test
    void anAllowlistedRecipientDoesNotAllowlistTheOthers() throws IOException {
        FlowSession s =
                opened(
                        policy(
                                """
                                rules:
                                  rcpt:
                                    - {id: postmaster, when: {recipient-in: [postmaster@example.com]}, action: accept}
                                  data:
                                    - {id: lunch, when: {subject-contains: lunch}, action: reject}
                                """));
        assertThat(s.rcpt("<postmaster@example.com>").verdict()).isEqualTo(Verdict.ACCEPT);
        assertThat(s.rcpt("<bob@example.com>").verdict()).isEqualTo(Verdict.CONTINUE);
        Answer a = send(s, PLAIN);
        assertThat(a.reply().line()).startsWith("550 5.7.1 ");
        assertThat(nextHop.deliveries()).isEmpty();
        assertThat(audit).singleElement().satisfies(r -> assertThat(r.rules()).contains("lunch"));
    }

    @Test
    void anUnparseableRecipientNamingADomainIsARelayAttemptAndOneWithoutIsASyntaxError() {
        FlowSession s = opened(TestFilter.relayingFor("example.com"));
        Answer relay = s.rcpt("<bob smith@elsewhere.example>");
        assertThat(relay.reply()).isEqualTo(Replies.RELAY_DENIED);
        assertThat(relay.hits()).extracting(h -> h.ruleId()).containsExactly("relay-domains");
        Answer syntax = s.rcpt("<bob>");
        assertThat(syntax.reply()).isEqualTo(Replies.BAD_RECIPIENT);
        assertThat(syntax.hits()).isEmpty();
        s.reset();
        assertThat(audit)
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.verdict()).isEqualTo(AuditVerdict.REJECT);
                            assertThat(r.recipients())
                                    .extracting(o -> o.address() + " " + o.rules())
                                    .containsExactly(
                                            "<bob smith@elsewhere.example> [relay-domains]",
                                            "<bob> []");
                        });
    }

    @Test
    void recipientsOverTheLimitAreDeferredWithTheLimitsId() {
        FlowSession s =
                opened(
                        TestFilter.relayingFor("example.com")
                                .withLimits(Limits.defaults().withMaxRecipients(2)));
        assertThat(s.rcpt("<a@example.com>").refused()).isFalse();
        assertThat(s.rcpt("<b@example.com>").refused()).isFalse();
        Answer third = s.rcpt("<c@example.com>");
        assertThat(third.reply().line()).isEqualTo("452 4.5.3 Too many recipients");
        assertThat(third.hits())
                .extracting(h -> h.ruleId())
                .containsExactly("limit:max-recipients");
        assertThat(s.recipientsAccepted()).isEqualTo(2);
    }

    @Test
    void quarantineReroutesToTheQuarantineMailboxNamingTheRecipients() throws IOException {
        FlowSession s =
                opened(
                        policy(
                                """
                                quarantine: held@example.com
                                rules:
                                  data:
                                    - {id: hold, when: {subject-contains: lunch}, action: quarantine}
                                """));
        s.rcpt("<bob@example.com>");
        s.rcpt("<carol@example.com>");
        Answer a = send(s, PLAIN);
        assertThat(a.reply().line()).isEqualTo("250 2.0.0 Ok: delivered as s1.1");
        assertThat(a.recorded()).contains(AuditVerdict.QUARANTINE);
        assertThat(nextHop.deliveries())
                .singleElement()
                .satisfies(
                        d ->
                                assertThat(d.recipients())
                                        .containsExactly(Mailbox.of("held@example.com")));
        assertThat(delivered(0))
                .contains("\r\n\tfor <held@example.com>;")
                .contains("X-Bulwark-Recipients: bob@example.com, carol@example.com\r\n")
                .contains("X-Bulwark: verdict=quarantine;");
    }

    @Test
    void theRecordAndTheTraceHeaderCarryThePolicysRunningScore() throws IOException {
        FlowSession s =
                opened(
                        policy(
                                """
                                rules:
                                  helo:
                                    - {id: pool, when: {helo-matches: sender}, score: 3}
                                  data:
                                    - {id: known, when: {subject-contains: lunch}, score: -1.5}
                                """));
        s.rcpt("<bob@example.com>");
        send(s, PLAIN);
        assertThat(delivered(0)).contains("X-Bulwark: verdict=accept; score=1.5; policy=");
        assertThat(audit)
                .singleElement()
                .satisfies(r -> assertThat(r.score().value()).isEqualTo(1.5));
    }

    @Test
    void aRefusedGreetingIsAuditedAndTheSessionGoesOn() {
        FlowSession s =
                session(
                        policy(
                                """
                                rules:
                                  helo:
                                    - {id: ours, when: {helo-in: [example.com]}, action: reject}
                                """));
        s.connect();
        Answer refused = s.helo("example.com", true);
        assertThat(refused.reply().line()).startsWith("550 5.7.1 ");
        assertThat(refused.close()).isFalse();
        assertThat(s.greeted()).isFalse();
        assertThat(audit)
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.kind()).isEqualTo(AuditRecord.Kind.GREETING);
                            assertThat(r.helo()).contains("example.com");
                            assertThat(r.rules()).containsExactly("ours");
                        });
        assertThat(s.helo("mail.sender.example", true).refused()).isFalse();
        assertThat(s.helo("mail server", true).reply()).isEqualTo(Replies.HELO_SYNTAX);
    }

    @Test
    void aTemporaryRefusalAtConnectClosesWith421() {
        FlowSession s =
                session(
                        policy(
                                """
                                rules:
                                  connect:
                                    - {id: busy, when: {client-ip-in: [198.51.100.0/24]}, action: defer}
                                """));
        Answer a = s.connect();
        assertThat(a.reply().line()).startsWith("421 4.7.0 ");
        assertThat(a.close()).isTrue();
        assertThat(audit)
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.kind()).isEqualTo(AuditRecord.Kind.CONNECTION);
                            assertThat(r.verdict()).isEqualTo(AuditVerdict.DEFER);
                            assertThat(r.rules()).containsExactly("busy");
                        });
    }

    @Test
    void aCheckThatThrowsIsATemporaryFailureNeverAnAccept() throws IOException {
        FlowSession s =
                opened(
                        TestFilter.relayingFor("example.com")
                                .atData(
                                        m -> {
                                            throw new IllegalStateException("rule engine broke");
                                        }));
        s.rcpt("<bob@example.com>");
        Answer a = send(s, PLAIN);
        assertThat(a.reply()).isEqualTo(Replies.CHECK_FAILED);
        assertThat(nextHop.deliveries()).isEmpty();
        assertThat(audit)
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.verdict()).isEqualTo(AuditVerdict.TEMPFAIL);
                            assertThat(r.rules()).containsExactly("internal-error");
                        });
    }

    @Test
    void aTransactionIsAuditedOnceWhenADeadlineAndTheSessionsEndBothEndIt() {
        FlowSession s = opened(TestFilter.relayingFor("example.com"));
        s.rcpt("<bob@example.com>");
        s.expire(Replies.COMMAND_TIMEOUT);
        s.end();
        s.end();
        assertThat(audit)
                .singleElement()
                .satisfies(r -> assertThat(r.verdict()).isEqualTo(AuditVerdict.TEMPFAIL));
        assertThat(s.transactionOpen()).isFalse();
    }
}
