package dev.bulwark.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.JsonAuditLog;
import dev.bulwark.auth.DmarcResult;
import dev.bulwark.auth.ListResult;
import dev.bulwark.auth.PublicSuffixList;
import dev.bulwark.auth.SpfResult;
import dev.bulwark.check.Stage;
import dev.bulwark.dns.DnsClient;
import dev.bulwark.dns.RecordedResolver;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Envelope;
import dev.bulwark.policy.PolicyException;
import dev.bulwark.testing.SilentDnsServer;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Sender authentication through the transaction flow: the checks start at their stages, rules read
 * their results, the relayed message carries our Authentication-Results field and none forged in
 * our name, the audit record carries the results, and DNS trouble never refuses mail.
 */
class FlowAuthenticationTest {

    private static final String POLICY =
            """
            language: 1
            relay-domains: [example.com]
            thresholds: {tag: 4}
            rules:
              connect:
                - id: listed
                  when: {dnsbl: {zone: bl.test, codes: [127.0.0.2]}}
                  action: reject
              mail:
                - id: spf-fail
                  when: {spf: fail}
                  score: 3
                - id: spf-trouble
                  when: {spf: temperror}
                  score: 0.5
              data:
                - id: dmarc-reject
                  when: {dmarc: reject}
                  action: reject
                - id: signed-by-partner
                  when: {dkim: {result: pass, domain: partner.example}}
                  action: accept
                - id: listed-link
                  when: {uribl: uribl.test}
                  score: 5
            """;

    private static final Envelope ENVELOPE =
            new Envelope(
                    InetAddress.ofLiteral("192.0.2.10"),
                    "mail.bank.example",
                    Mailbox.of("news@bank.example"),
                    List.of("bob@example.com"));

    private static final String MESSAGE =
            "Authentication-Results: gate.bulwark.invalid; spf=pass"
                    + " smtp.mailfrom=bank.example;\r\n"
                    + "\tdmarc=pass header.from=bank.example\r\n"
                    + "Authentication-Results: mx.other.example; spf=fail smtp.mailfrom=x\r\n"
                    + "From: Bank <news@bank.example>\r\n"
                    + "To: bob@example.com\r\n"
                    + "Subject: Statement\r\n"
                    + "Message-ID: <s1@bank.example>\r\n"
                    + "\r\n"
                    + "See http://www.evil.example/login\r\n";

    private static Policy policy() throws PolicyException {
        return Policy.of(CompiledPolicy.fromCanonical("auth.yaml", POLICY));
    }

    private static Trial run(String answers) throws Exception {
        return Trial.run(
                policy(),
                ENVELOPE,
                MESSAGE.getBytes(StandardCharsets.US_ASCII),
                RecordedResolver.parse("answers", answers));
    }

    private static String delivered(Trial t) {
        assertThat(t.deliveries()).hasSize(1);
        return new String(t.deliveries().get(0).message(), StandardCharsets.US_ASCII);
    }

    @Test
    void relayedMailGetsOurAuthenticationResultsAndLosesFieldsForgedInOurName() throws Exception {
        Trial t =
                run(
                        """
                        bank.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"
                        _dmarc.bank.example. TXT "v=DMARC1; p=reject"
                        evil.example.uribl.test. A 127.0.0.2
                        """);
        assertThat(t.verdictName()).isEqualTo("tag");
        assertThat(t.fired()).containsExactly("listed-link", "threshold:tag");
        String m = delivered(t);
        assertThat(m.split("Authentication-Results: gate.bulwark.invalid;", -1))
                .as("exactly one field in our name: ours")
                .hasSize(2);
        assertThat(m)
                .contains(
                        "Authentication-Results: gate.bulwark.invalid;\r\n\tspf=pass",
                        "smtp.mailfrom=bank.example",
                        "dmarc=pass",
                        "Authentication-Results: mx.other.example; spf=fail smtp.mailfrom=x\r\n")
                .doesNotContain("\tdmarc=pass header.from=bank.example\r\nAuthentication");
        // The forged field (two lines) is gone; the rest of the message is byte for byte the same.
        assertThat(m)
                .endsWith(MESSAGE.substring(MESSAGE.indexOf("Authentication-Results: mx.other")));
    }

    @Test
    void dmarcRejectPolicyRefusesAForgedFromAndTheAuditRecordSaysWhy() throws Exception {
        Trial t =
                run(
                        """
                        bank.example. TXT "v=spf1 ip4:198.51.100.0/24 -all"
                        _dmarc.bank.example. TXT "v=DMARC1; p=reject"
                        """);
        assertThat(t.verdictName()).isEqualTo("reject");
        assertThat(t.reply().code()).isEqualTo(550);
        assertThat(t.stage()).isEqualTo(Stage.DATA);
        assertThat(t.fired()).contains("spf-fail", "dmarc-reject");
        AuditRecord r = t.records().get(t.records().size() - 1);
        var auth = r.authentication().orElseThrow();
        assertThat(auth.mailFrom().orElseThrow().result()).isEqualTo(SpfResult.Result.FAIL);
        assertThat(auth.dmarc().orElseThrow().disposition()).isEqualTo(DmarcResult.Policy.REJECT);
        assertThat(JsonAuditLog.format(r))
                .contains(
                        "\"auth\":{\"spf\":\"fail\",\"spf_domain\":\"bank.example\"",
                        "\"dmarc\":\"fail\"",
                        "\"dmarc_policy\":\"reject\"");
    }

    @Test
    void aListedClientIsRefusedAtConnectButAFailingListIsNot() throws Exception {
        Trial listed = run("10.2.0.192.bl.test. A 127.0.0.2\n");
        assertThat(listed.stage()).isEqualTo(Stage.CONNECT);
        assertThat(listed.reply().code()).isEqualTo(554);
        Trial failing = run("10.2.0.192.bl.test. A SERVFAIL\n");
        assertThat(failing.fired()).doesNotContain("listed");
        assertThat(failing.records().get(failing.records().size() - 1).authentication())
                .map(a -> a.clientLists().get(0).status())
                .contains(ListResult.Status.TEMPERROR);
    }

    @Test
    void aSignatureOfThePartnerDomainIsReadByTheRule() throws Exception {
        // Unsigned here: the DKIM matcher sees "none" and the allowlisting rule does not hold.
        Trial t = run("");
        assertThat(t.fired()).doesNotContain("signed-by-partner");
        assertThat(t.records().get(t.records().size() - 1).authentication().orElseThrow().dkim())
                .extracting(d -> d.result().keyword())
                .containsExactly("none");
    }

    @Test
    void unreachableDnsGivesTemperrorsWithinTheBudgetAndTheMailFlows() throws Exception {
        try (SilentDnsServer silent = new SilentDnsServer()) {
            // Each query would wait 30 s; the transaction's budget of 300 ms ends the waiting.
            Authenticator a =
                    new Authenticator(
                            new DnsClient(List.of(silent.address()), Duration.ofSeconds(30)),
                            PublicSuffixList.EMPTY,
                            Clock.systemUTC(),
                            Trial.HOSTNAME,
                            Duration.ofMillis(300));
            Trial t = Trial.run(policy(), ENVELOPE, MESSAGE.getBytes(StandardCharsets.US_ASCII), a);
            assertThat(t.deliveries()).hasSize(1);
            assertThat(t.reply().code()).isEqualTo(250);
            assertThat(t.fired()).contains("spf-trouble").doesNotContain("dmarc-reject", "listed");
            var auth = t.records().get(t.records().size() - 1).authentication().orElseThrow();
            assertThat(auth.mailFrom().orElseThrow().result())
                    .isEqualTo(SpfResult.Result.TEMPERROR);
            assertThat(delivered(t)).contains("spf=temperror", "dmarc=temperror");
        }
    }

    @Test
    void aRejectingRuleMayNotHoldOnTemperror() {
        String bad =
                """
                language: 1
                relay-domains: [example.com]
                rules:
                  data:
                    - id: no-dns-no-mail
                      when: {any: [{spf: [fail, temperror]}, {not: {dmarc: temperror}}]}
                      action: reject
                """;
        assertThatThrownBy(() -> CompiledPolicy.fromCanonical("bad.yaml", bad))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining(
                        "bad.yaml:6:33: error: 'spf: temperror' in a rule that rejects: DNS"
                                + " trouble must never refuse mail with a 5xx (use defer or a"
                                + " score)")
                .hasMessageNotContaining("dmarc: temperror");
    }
}
