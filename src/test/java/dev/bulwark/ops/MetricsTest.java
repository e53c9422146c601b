package dev.bulwark.ops;

import static dev.bulwark.audit.Records.accepted;
import static dev.bulwark.audit.Records.connection;
import static dev.bulwark.audit.Records.refused;
import static dev.bulwark.audit.Records.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.audit.AuditRecord.NextHopOutcome;
import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.audit.Records;
import dev.bulwark.check.Stage;
import dev.bulwark.testing.PrometheusText;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

class MetricsTest {

    private static final VersionInfo VERSION =
            new VersionInfo("1.2.3", "0123abc", "ab".repeat(32), "unsigned");

    private final AtomicBoolean backendUp = new AtomicBoolean(true);
    private final Metrics metrics = Metrics.create(VERSION, backendUp::get);

    private PrometheusText scrape() {
        return PrometheusText.parse(metrics.scrape());
    }

    private static Optional<NextHopOutcome> delivered(int code, Duration took) {
        return Optional.of(new NextHopOutcome(Stage.DATA, code, true, Optional.of(took)));
    }

    @Test
    void exportsBuildInfoWithVersionCommitAndPolicyDigest() {
        assertThat(
                        scrape().value(
                                        "bulwark_build_info",
                                        "version",
                                        "1.2.3",
                                        "commit",
                                        "0123abc",
                                        "policy_digest",
                                        "ab".repeat(32)))
                .contains(1.0);
    }

    @Test
    void showsEveryVerdictFromTheStartAndCountsTransactionsByVerdict() {
        assertThat(scrape().series("bulwark_transactions_total"))
                .hasSize(Metrics.VERDICTS.size())
                .allSatisfy(s -> assertThat(s.value()).isZero());

        metrics.record(
                transaction(
                        AuditVerdict.ACCEPT,
                        "250 2.0.0 Ok",
                        List.of(),
                        List.of(accepted("a@example.com")),
                        delivered(250, Duration.ofMillis(3))));
        metrics.record(
                transaction(
                        AuditVerdict.ACCEPT,
                        "250 2.0.0 Ok",
                        List.of(),
                        List.of(accepted("a@example.com")),
                        delivered(250, Duration.ofMillis(3))));
        metrics.record(
                transaction(
                        AuditVerdict.REJECT,
                        "550 5.7.1 Message refused",
                        List.of("spam-words"),
                        List.of(accepted("a@example.com")),
                        Optional.empty()));

        PrometheusText text = scrape();
        assertThat(text.value("bulwark_transactions_total", "verdict", "accept")).contains(2.0);
        assertThat(text.value("bulwark_transactions_total", "verdict", "reject")).contains(1.0);
        assertThat(text.value("bulwark_transactions_total", "verdict", "defer")).contains(0.0);
        assertThat(text.value("bulwark_transactions_total", "verdict", "aborted")).contains(0.0);
    }

    @Test
    void countsARefusedRecipientAgainstItsRuleAndOurReplyCode() {
        metrics.record(
                transaction(
                        AuditVerdict.ACCEPT,
                        "250 2.0.0 Ok",
                        List.of("relay-domains"),
                        List.of(
                                refused(
                                        "x@foreign.example",
                                        "554 5.7.1 Relay access denied",
                                        "relay-domains"),
                                accepted("a@example.com")),
                        delivered(250, Duration.ofMillis(3))));

        PrometheusText text = scrape();
        assertThat(text.series("bulwark_refusals_total"))
                .singleElement()
                .satisfies(
                        s ->
                                assertThat(s.labels())
                                        .containsEntry("rule", "relay-domains")
                                        .containsEntry("code", "554"))
                .satisfies(s -> assertThat(s.value()).isEqualTo(1.0));
    }

    @Test
    void countsTheFinalRefusalOnlyAgainstRulesNotAlreadyBlamedForARecipient() {
        metrics.record(
                transaction(
                        AuditVerdict.REJECT,
                        "550 5.7.1 Message refused",
                        List.of("relay-domains", "spam-words"),
                        List.of(
                                refused(
                                        "x@foreign.example",
                                        "554 5.7.1 Relay access denied",
                                        "relay-domains"),
                                accepted("a@example.com")),
                        Optional.empty()));

        PrometheusText text = scrape();
        assertThat(text.value("bulwark_refusals_total", "rule", "relay-domains", "code", "554"))
                .contains(1.0);
        assertThat(text.value("bulwark_refusals_total", "rule", "spam-words", "code", "550"))
                .contains(1.0);
        assertThat(text.series("bulwark_refusals_total")).hasSize(2);
    }

    @Test
    void countsARefusalNoRuleCausedAsRuleNone() {
        metrics.record(
                transaction(
                        AuditVerdict.REJECT,
                        "",
                        List.of(),
                        List.of(
                                refused(
                                        "nobody@example.com",
                                        "550 5.1.1 Recipient address rejected by the destination")),
                        Optional.empty()));

        assertThat(scrape().value("bulwark_refusals_total", "rule", "none", "code", "550"))
                .contains(1.0);
    }

    @Test
    void countsLimitRefusalsAsRateLimitRefusalsAndRefusedConnectionsAsSuch() {
        metrics.record(
                connection(
                        AuditVerdict.DEFER,
                        "421 4.7.0 Too many connections from your address",
                        List.of("limit:max-connections-per-client")));
        metrics.record(
                transaction(
                        AuditVerdict.REJECT,
                        "",
                        List.of("ratelimit:per-sender-domain"),
                        List.of(
                                refused(
                                        "a@example.com",
                                        "450 4.7.1 Try again later",
                                        "ratelimit:per-sender-domain")),
                        Optional.empty()));
        metrics.record(
                transaction(
                        AuditVerdict.ACCEPT,
                        "250 2.0.0 Ok",
                        List.of("limitless-rule"),
                        List.of(accepted("a@example.com")),
                        delivered(250, Duration.ofMillis(1))));

        PrometheusText text = scrape();
        assertThat(text.value("bulwark_connections_refused_total")).contains(1.0);
        assertThat(
                        text.value(
                                "bulwark_refusals_total",
                                "rule",
                                "limit:max-connections-per-client",
                                "code",
                                "421"))
                .contains(1.0);
        assertThat(
                        text.value(
                                "bulwark_rate_limit_refusals_total",
                                "limit",
                                "limit:max-connections-per-client"))
                .contains(1.0);
        assertThat(
                        text.value(
                                "bulwark_rate_limit_refusals_total",
                                "limit",
                                "ratelimit:per-sender-domain"))
                .contains(1.0);
        assertThat(text.series("bulwark_rate_limit_refusals_total")).hasSize(2);
    }

    @Test
    void countsARefusedGreetingAsARefusalButNotAsATransactionOrAConnection() {
        metrics.record(
                Records.greeting(
                        AuditVerdict.REJECT, "550 5.7.1 You are not us", List.of("helo-ours")));

        PrometheusText text = scrape();
        assertThat(text.value("bulwark_refusals_total", "rule", "helo-ours", "code", "550"))
                .contains(1.0);
        assertThat(text.value("bulwark_connections_refused_total")).contains(0.0);
        assertThat(text.value("bulwark_transactions_total", "verdict", "reject")).contains(0.0);
    }

    @Test
    void recordsNextHopLatencyInAHistogramOnlyWhenAMessageWasStreamed() {
        metrics.record(
                transaction(
                        AuditVerdict.ACCEPT,
                        "250 2.0.0 Ok",
                        List.of(),
                        List.of(accepted("a@example.com")),
                        delivered(250, Duration.ofMillis(30))));
        metrics.record(
                transaction(
                        AuditVerdict.DEFER,
                        "451 4.4.1 Destination temporarily unavailable",
                        List.of(),
                        List.of(),
                        Optional.of(new NextHopOutcome(Stage.MAIL, 451, false, Optional.empty()))));

        PrometheusText text = scrape();
        assertThat(text.value("bulwark_next_hop_latency_seconds_count")).contains(1.0);
        assertThat(text.value("bulwark_next_hop_latency_seconds_sum"))
                .hasValueSatisfying(
                        v ->
                                assertThat(v)
                                        .isCloseTo(
                                                0.030, org.assertj.core.data.Offset.offset(1e-9)));
        assertThat(text.value("bulwark_next_hop_latency_seconds_bucket", "le", "0.025"))
                .contains(0.0);
        assertThat(text.value("bulwark_next_hop_latency_seconds_bucket", "le", "0.05"))
                .contains(1.0);
        assertThat(text.value("bulwark_next_hop_latency_seconds_bucket", "le", "+Inf"))
                .contains(1.0);
    }

    @Test
    void countsNextHopErrorsByStageAndKind() {
        metrics.record(
                transaction(
                        AuditVerdict.DEFER,
                        "451 4.4.1 Destination temporarily unavailable",
                        List.of(),
                        List.of(),
                        Optional.of(new NextHopOutcome(Stage.MAIL, 451, false, Optional.empty()))));
        metrics.record(
                transaction(
                        AuditVerdict.REJECT,
                        "554 5.0.0 Message refused by the destination",
                        List.of(),
                        List.of(),
                        delivered(554, Duration.ofMillis(2))));
        metrics.record(
                transaction(
                        AuditVerdict.DEFER,
                        "451 4.0.0 Message temporarily refused",
                        List.of(),
                        List.of(),
                        delivered(451, Duration.ofMillis(2))));
        metrics.record(
                transaction(
                        AuditVerdict.ACCEPT,
                        "250 2.0.0 Ok",
                        List.of(),
                        List.of(),
                        delivered(250, Duration.ofMillis(2))));

        PrometheusText text = scrape();
        assertThat(
                        text.value(
                                "bulwark_next_hop_errors_total",
                                "stage",
                                "mail",
                                "kind",
                                "unreachable"))
                .contains(1.0);
        assertThat(
                        text.value(
                                "bulwark_next_hop_errors_total",
                                "stage",
                                "data",
                                "kind",
                                "permanent"))
                .contains(1.0);
        assertThat(
                        text.value(
                                "bulwark_next_hop_errors_total",
                                "stage",
                                "data",
                                "kind",
                                "transient"))
                .contains(1.0);
        assertThat(text.series("bulwark_next_hop_errors_total")).hasSize(3);
    }

    @Test
    void countsShadowRulesSeparatelyFromRulesThatActed() {
        metrics.record(
                transaction(
                        AuditVerdict.ACCEPT,
                        "250 2.0.0 Ok",
                        List.of(),
                        List.of("would-reject-pdf"),
                        List.of(accepted("a@example.com")),
                        delivered(250, Duration.ofMillis(1))));

        PrometheusText text = scrape();
        assertThat(text.value("bulwark_shadow_hits_total", "rule", "would-reject-pdf"))
                .contains(1.0);
        assertThat(text.series("bulwark_refusals_total")).isEmpty();
    }

    @Test
    void tracksOpenAndStartedSessions() {
        metrics.opened();
        metrics.opened();
        metrics.opened();
        metrics.closed();

        PrometheusText text = scrape();
        assertThat(text.value("bulwark_connections_total")).contains(3.0);
        assertThat(text.value("bulwark_connections_active")).contains(2.0);
    }

    @Test
    void exportsTheInFlightOctetsBesideTheirBudget() {
        AtomicLong held = new AtomicLong();
        metrics.inFlight(held::get, 128L << 20);
        assertThat(scrape().value("bulwark_in_flight_bytes")).contains(0.0);
        held.set(5_000_000);
        PrometheusText text = scrape();
        assertThat(text.value("bulwark_in_flight_bytes")).contains(5_000_000.0);
        assertThat(text.value("bulwark_in_flight_budget_bytes")).contains((double) (128L << 20));
    }

    @Test
    void reportsTheRateLimitBackendStateWhenScraped() {
        assertThat(scrape().value("bulwark_rate_limit_backend_up")).contains(1.0);
        backendUp.set(false);
        assertThat(scrape().value("bulwark_rate_limit_backend_up")).contains(0.0);
    }

    @Test
    void gaugesKeepReadingAfterTheirStateIsNoLongerHeldByTheCaller() throws Exception {
        AtomicBoolean up = new AtomicBoolean(false);
        // Only the gauge references this lambda, as with the probe a node passes in.
        Metrics onlyGaugesHoldTheProbe = Metrics.create(VERSION, () -> up.get());
        onlyGaugesHoldTheProbe.opened();
        long[] held = {42};
        onlyGaugesHoldTheProbe.inFlight(() -> held[0], 100);

        MetricsAfterGarbageCollectionIT.collectGarbage();

        PrometheusText text = PrometheusText.parse(onlyGaugesHoldTheProbe.scrape());
        assertThat(text.value("bulwark_rate_limit_backend_up")).contains(0.0);
        assertThat(text.value("bulwark_connections_active")).contains(1.0);
        assertThat(text.value("bulwark_in_flight_bytes")).contains(42.0);
        assertThat(
                        text.value(
                                "bulwark_build_info",
                                "version",
                                "1.2.3",
                                "commit",
                                "0123abc",
                                "policy_digest",
                                "ab".repeat(32)))
                .contains(1.0);
    }

    @Test
    void stopsTakingNewRuleLabelsPastTheCap() {
        for (int i = 0; i < Metrics.MAX_RULE_IDS + 10; i++) {
            metrics.record(
                    connection(
                            AuditVerdict.REFUSED, "554 5.7.1 Access denied", List.of("rule-" + i)));
        }

        assertThat(scrape().series("bulwark_refusals_total")).hasSize(Metrics.MAX_RULE_IDS);
    }

    @Test
    void ignoresReplyTextThatDoesNotStartWithACode() {
        assertThat(Metrics.replyCode("550 5.7.1 x")).isEqualTo("550");
        assertThat(Metrics.replyCode("421")).isEqualTo("421");
        assertThat(Metrics.replyCode("4211 x")).isEmpty();
        assertThat(Metrics.replyCode("ab1 x")).isEmpty();
        assertThat(Metrics.replyCode("")).isEmpty();
    }
}
