package dev.bulwark.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.audit.AuditRecord.NextHopOutcome;
import dev.bulwark.check.Stage;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

class JsonAuditLogTest {

    @Test
    void writesEveryFieldOnOneLineInAFixedOrder() {
        AuditRecord r =
                Records.transaction(
                        AuditVerdict.ACCEPT,
                        "250 2.0.0 Ok: delivered as s1.1",
                        List.of("relay-domains"),
                        List.of("shadow-pdf"),
                        List.of(
                                Records.refused(
                                        "x@foreign.example",
                                        "554 5.7.1 Relay access denied",
                                        "relay-domains"),
                                Records.accepted("bob@example.com")),
                        Optional.of(
                                new NextHopOutcome(
                                        Stage.DATA,
                                        250,
                                        true,
                                        Optional.of(Duration.ofMillis(12)))));

        assertThat(JsonAuditLog.format(r))
                .isEqualTo(
                        "{\"time\":\"2026-03-01T10:15:30.123Z\",\"kind\":\"transaction\","
                            + "\"session\":\"s1\",\"transaction\":\"s1.1\",\"client\":\"192.0.2.7\",\"balancer\":null,"
                            + "\"helo\":\"client.example.org\",\"tls\":null,\"sender\":\"<alice@sender.example>\","
                            + "\"recipients\":[{\"address\":\"x@foreign.example\",\"accepted\":false,\"reply\":\"554"
                            + " 5.7.1 Relay access"
                            + " denied\",\"rules\":[\"relay-domains\"]},{\"address\":\"bob@example.com\",\"accepted\":true,\"reply\":\"250"
                            + " 2.1.5 Recipient ok\",\"rules\":[]}],"
                            + "\"message_id\":\"<m1@sender.example>\",\"size\":1234,\"verdict\":\"accept\",\"score\":0,"
                            + "\"rules\":[\"relay-domains\"],\"shadow_rules\":[\"shadow-pdf\"],\"policy\":\""
                                + Records.DIGEST
                                + "\",\"next_hop_reply\":\"250 whatever the next hop said\","
                                + "\"next_hop\":{\"stage\":\"data\",\"code\":250,\"answered\":true,\"delivery_ms\":12},\"reply\":\"250"
                                + " 2.0.0 Ok: delivered as"
                                + " s1.1\",\"durations_ms\":{\"session\":5,\"relay\":2}}");
    }

    @Test
    void writesNullForANextHopThatWasNeverAskedAndForAMissingDelivery() {
        AuditRecord none =
                Records.connection(
                        AuditVerdict.REFUSED, "554 5.7.1 Access denied", List.of("deny-cidr"));
        AuditRecord down =
                Records.transaction(
                        AuditVerdict.DEFER,
                        "451 4.4.1 x",
                        List.of(),
                        List.of(),
                        Optional.of(new NextHopOutcome(Stage.MAIL, 451, false, Optional.empty())));

        assertThat(JsonAuditLog.format(none))
                .contains("\"next_hop\":null,")
                .contains("\"balancer\":\"10.0.0.2\"");
        assertThat(JsonAuditLog.format(down))
                .contains(
                        "\"next_hop\":{\"stage\":\"mail\",\"code\":451,\"answered\":false,\"delivery_ms\":null}");
    }

    @Test
    void escapesWhatAClientControlsSoEachRecordStaysOneLine() {
        AuditRecord r =
                AuditRecord.builder(AuditRecord.Kind.TRANSACTION, "s", "192.0.2.1", Records.DIGEST)
                        .helo(Optional.of("evil\r\n{\"verdict\":\"accept\"}\u2028"))
                        .sender("<\"a\\b\"@x.example>")
                        .verdict(AuditVerdict.REJECT)
                        .reply("550 x")
                        .build(java.time.Instant.EPOCH);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new JsonAuditLog(out).record(r);

        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).endsWith("\n");
        assertThat(text.lines()).hasSize(1);
        assertThat(text)
                .contains("\"helo\":\"evil\\r\\n{\\\"verdict\\\":\\\"accept\\\"}\\u2028\"")
                .contains("\"sender\":\"<\\\"a\\\\b\\\"@x.example>\"");
    }
}
