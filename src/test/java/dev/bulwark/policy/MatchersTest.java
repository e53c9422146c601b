package dev.bulwark.policy;

import static dev.bulwark.policy.TestPolicies.envelope;
import static dev.bulwark.policy.TestPolicies.policy;
import static dev.bulwark.policy.TestPolicies.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.check.Hit;
import dev.bulwark.flow.Trial;

import org.junit.jupiter.api.Test;

/**
 * Every matcher of the language, each shown matching and not matching. Each test compiles a policy
 * with one rule that rejects when the matcher holds.
 */
class MatchersTest {

    private static CompiledPolicy rule(String stage, String when) {
        return policy(
                """
                rules:
                  %s:
                    - id: r
                      when: %s
                      action: reject
                """
                        .formatted(stage, when));
    }

    private static boolean fires(CompiledPolicy p, Envelope e, String message) {
        return run(p, e, message).fired().contains("r");
    }

    private static boolean fires(CompiledPolicy p, String message) {
        return fires(p, envelope(), message);
    }

    private static String detail(CompiledPolicy p, Envelope e, String message) {
        return run(p, e, message).hits().stream()
                .filter(h -> h.ruleId().equals("r"))
                .map(Hit::detail)
                .findFirst()
                .orElseThrow();
    }

    private static String withBody(String headers, String body) {
        return "From: a@example.org\n"
                + "To: b@example.com\n"
                + "Date: Tue, 3 Sep 2024 10:00:00 +0000\n"
                + "Message-ID: <x@y>\n"
                + headers
                + "\n"
                + body;
    }

    @Test
    void clientIpInMatchesIpv4AndIpv6NetworksAndMappedAddresses() {
        CompiledPolicy p = rule("connect", "{client-ip-in: [192.0.2.0/24, '2001:db8::/32']}");
        assertThat(
                        fires(
                                p,
                                envelope(
                                        "192.0.2.77",
                                        "a.example",
                                        "x@example.org",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isTrue();
        assertThat(
                        fires(
                                p,
                                envelope(
                                        "::ffff:192.0.2.77",
                                        "a.example",
                                        "x@example.org",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isTrue();
        assertThat(
                        fires(
                                p,
                                envelope(
                                        "2001:db8:5::1",
                                        "a.example",
                                        "x@example.org",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isTrue();
        assertThat(
                        fires(
                                p,
                                envelope(
                                        "192.0.3.1", "a.example", "x@example.org", "b@example.com"),
                                TestPolicies.PLAIN))
                .isFalse();
        assertThat(
                        detail(
                                p,
                                envelope(
                                        "192.0.2.77",
                                        "a.example",
                                        "x@example.org",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isEqualTo("client-ip-in inline: 192.0.2.77 in 192.0.2.0/24");
    }

    @Test
    void heloIsTellsTheShapes() {
        Envelope client = envelope("198.51.100.25", "x", "a@example.org", "b@example.com");
        record Shape(String shape, String yes, String no) {}
        for (Shape s :
                new Shape[] {
                    new Shape("fqdn", "mail.example.org", "localhost"),
                    new Shape("address-literal", "[198.51.100.25]", "198.51.100.25"),
                    new Shape("foreign-literal", "[192.0.2.1]", "[198.51.100.25]"),
                    new Shape("bare-ip", "198.51.100.25", "[198.51.100.25]"),
                    new Shape("single-label", "DESKTOP-12", "mail.example.org"),
                    new Shape("invalid", "mail_server!", "[IPv6:2001:db8::1]")
                }) {
            CompiledPolicy p = rule("helo", "{helo-is: " + s.shape + "}");
            assertThat(
                            fires(
                                    p,
                                    envelope(
                                            "198.51.100.25",
                                            s.yes,
                                            "a@example.org",
                                            "b@example.com"),
                                    TestPolicies.PLAIN))
                    .as(s.shape + " on " + s.yes)
                    .isTrue();
            assertThat(
                            fires(
                                    p,
                                    envelope(
                                            "198.51.100.25",
                                            s.no,
                                            "a@example.org",
                                            "b@example.com"),
                                    TestPolicies.PLAIN))
                    .as(s.shape + " on " + s.no)
                    .isFalse();
        }
        assertThat(client).isNotNull();
    }

    @Test
    void heloMatchesAndHeloIn() {
        CompiledPolicy m = rule("helo", "{helo-matches: '^dsl-'}");
        assertThat(
                        fires(
                                m,
                                envelope(
                                        "198.51.100.25",
                                        "DSL-1.isp.example",
                                        "a@example.org",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .as("case-insensitive by default")
                .isTrue();
        assertThat(
                        fires(
                                m,
                                envelope(
                                        "198.51.100.25",
                                        "mail.dsl-isp.example",
                                        "a@example.org",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isFalse();
        CompiledPolicy in = rule("helo", "{helo-in: [example.com, .example.net]}");
        assertThat(
                        fires(
                                in,
                                envelope(
                                        "198.51.100.25",
                                        "EXAMPLE.com",
                                        "a@example.org",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isTrue();
        assertThat(
                        fires(
                                in,
                                envelope(
                                        "198.51.100.25",
                                        "mx.example.net",
                                        "a@example.org",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isTrue();
        assertThat(
                        fires(
                                in,
                                envelope(
                                        "198.51.100.25",
                                        "example.net",
                                        "a@example.org",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .as("a .parent entry covers subdomains only")
                .isFalse();
    }

    @Test
    void senderInSenderMatchesAndSenderNull() {
        CompiledPolicy in = rule("mail", "{sender-in: [spam@promo.example, .bulk.example]}");
        assertThat(
                        fires(
                                in,
                                envelope(
                                        "198.51.100.25",
                                        "h.example",
                                        "Spam@Promo.Example",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isTrue();
        assertThat(
                        fires(
                                in,
                                envelope(
                                        "198.51.100.25",
                                        "h.example",
                                        "x@a.bulk.example",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isTrue();
        assertThat(
                        fires(
                                in,
                                envelope(
                                        "198.51.100.25",
                                        "h.example",
                                        "ham@promo.example",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isFalse();
        assertThat(
                        fires(
                                in,
                                envelope("198.51.100.25", "h.example", "<>", "b@example.com"),
                                TestPolicies.PLAIN))
                .isFalse();
        CompiledPolicy re = rule("mail", "{sender-matches: '^[0-9]+@'}");
        assertThat(
                        fires(
                                re,
                                envelope(
                                        "198.51.100.25",
                                        "h.example",
                                        "12345@example.org",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isTrue();
        assertThat(
                        fires(
                                re,
                                envelope(
                                        "198.51.100.25",
                                        "h.example",
                                        "a1@example.org",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isFalse();
        CompiledPolicy nul = rule("mail", "{sender-null: true}");
        assertThat(
                        fires(
                                nul,
                                envelope("198.51.100.25", "h.example", "<>", "b@example.com"),
                                TestPolicies.PLAIN))
                .isTrue();
        assertThat(
                        fires(
                                nul,
                                envelope(
                                        "198.51.100.25",
                                        "h.example",
                                        "a@example.org",
                                        "b@example.com"),
                                TestPolicies.PLAIN))
                .isFalse();
    }

    @Test
    void recipientMatchersSeeTheCurrentRecipientAtRcptAndAnyRecipientAtData() {
        CompiledPolicy rcpt = rule("rcpt", "{recipient-in: [sales@example.com]}");
        Trial o =
                run(
                        rcpt,
                        envelope(
                                "198.51.100.25",
                                "h.example",
                                "a@example.org",
                                "sales@example.com",
                                "bob@example.com"),
                        TestPolicies.PLAIN);
        assertThat(o.verdictName()).as("bob is still delivered").isEqualTo("deliver");
        assertThat(
                        o.steps().stream()
                                .filter(s -> s.argument().equals("<sales@example.com>"))
                                .findFirst()
                                .orElseThrow()
                                .decision()
                                .verdict())
                .isInstanceOf(dev.bulwark.check.Verdict.Reject.class);
        CompiledPolicy data = rule("data", "{recipient-matches: '^sales@'}");
        assertThat(
                        fires(
                                data,
                                envelope(
                                        "198.51.100.25",
                                        "h.example",
                                        "a@example.org",
                                        "bob@example.com",
                                        "sales@example.com"),
                                TestPolicies.PLAIN))
                .isTrue();
        assertThat(
                        fires(
                                data,
                                envelope(
                                        "198.51.100.25",
                                        "h.example",
                                        "a@example.org",
                                        "bob@example.com"),
                                TestPolicies.PLAIN))
                .isFalse();
    }

    @Test
    void headerPresentAbsentAndMatches() {
        String withListId = withBody("List-Id: <dev.lists.example>\nSubject: s\n", "body\n");
        assertThat(fires(rule("data", "{header-present: list-id}"), withListId)).isTrue();
        assertThat(fires(rule("data", "{header-present: List-Id}"), TestPolicies.PLAIN)).isFalse();
        assertThat(fires(rule("data", "{header-absent: List-Id}"), TestPolicies.PLAIN)).isTrue();
        assertThat(fires(rule("data", "{header-absent: List-Id}"), withListId)).isFalse();
        CompiledPolicy m =
                rule("data", "{header-matches: {header: X-Mailer, pattern: 'bulk ?mailer'}}");
        assertThat(fires(m, withBody("X-Mailer: Super BULK Mailer 3\nSubject: s\n", "b\n")))
                .isTrue();
        assertThat(
                        fires(
                                m,
                                withBody(
                                        "X-Mailer: Thunderbird\nX-Other: bulk mailer\nSubject: s\n",
                                        "b\n")))
                .isFalse();
        CompiledPolicy folded =
                rule("data", "{header-matches: {header: X-Note, pattern: 'one two'}}");
        assertThat(fires(folded, withBody("X-Note: one\n\t  two\nSubject: s\n", "b\n")))
                .as("folded values are unfolded, folding whitespace collapsed")
                .isTrue();
    }

    @Test
    void subjectMatchersSeeTheDecodedSubject() {
        String encoded =
                withBody("Subject: =?UTF-8?B?R3JhdGlzIFByw6RtaWU=?=\n", "b\n"); // "Gratis Prämie"
        assertThat(fires(rule("data", "{subject-contains: prämie}"), encoded)).isTrue();
        assertThat(
                        fires(
                                rule(
                                        "data",
                                        "{subject-contains: {text: prämie, case-sensitive: true}}"),
                                encoded))
                .isFalse();
        assertThat(fires(rule("data", "{subject-matches: '^gratis\\s+pr.mie$'}"), encoded))
                .isTrue();
        assertThat(fires(rule("data", "{subject-matches: 'lunch'}"), encoded)).isFalse();
    }

    @Test
    void regexIsUnanchoredAndCaseInsensitiveByDefault() {
        String m = withBody("Subject: Cheap VIAGRA here\n", "b\n");
        assertThat(fires(rule("data", "{subject-matches: 'viagra'}"), m))
                .as("found anywhere, any case")
                .isTrue();
        assertThat(fires(rule("data", "{subject-matches: '^viagra'}"), m))
                .as("^ anchors at the start")
                .isFalse();
        assertThat(
                        fires(
                                rule(
                                        "data",
                                        "{subject-matches: {pattern: 'viagra', case-sensitive:"
                                                + " true}}"),
                                m))
                .isFalse();
        assertThat(
                        fires(
                                rule(
                                        "data",
                                        "{subject-matches: {pattern: 'VIAGRA', case-sensitive:"
                                                + " true}}"),
                                m))
                .isTrue();
        assertThat(fires(rule("data", "{subject-matches: '(?-i)viagra'}"), m))
                .as("inline flags work too")
                .isFalse();
    }

    @Test
    void bodyMatchersSeeDecodedTextOfEveryTextPart() {
        String qp =
                withBody(
                        "Subject: s\nContent-Type: text/plain; charset=iso-8859-1\n"
                                + "Content-Transfer-Encoding: quoted-printable\n",
                        "Gr=FC=DFe aus M=FCn=\nchen\n");
        assertThat(fires(rule("data", "{body-contains: grüße aus münchen}"), qp)).isTrue();
        assertThat(fires(rule("data", "{body-contains: '=FC'}"), qp)).isFalse();
        String html =
                withBody(
                        "Subject: s\nContent-Type: text/html\n",
                        "<p>Win a <b>free</b>&nbsp;cruise<script>hidden text</script></p>\n");
        assertThat(fires(rule("data", "{body-matches: 'win a free cruise'}"), html)).isTrue();
        assertThat(fires(rule("data", "{body-contains: 'hidden text'}"), html)).isFalse();
        assertThat(fires(rule("data", "{body-contains: '<b>'}"), html)).isFalse();
    }

    @Test
    void rawMatchesSeesTheUndecodedMessageHeadersIncluded() {
        String qp =
                withBody(
                        "Subject: s\nContent-Transfer-Encoding: quoted-printable\n", "Gr=FC=DFe\n");
        assertThat(fires(rule("data", "{raw-matches: '=FC=DF'}"), qp)).isTrue();
        assertThat(fires(rule("data", "{raw-matches: 'Content-Transfer-Encoding: quoted'}"), qp))
                .isTrue();
        assertThat(fires(rule("data", "{body-matches: '=FC=DF'}"), qp)).isFalse();
    }

    private static String attachment(String contentType, String disposition) {
        return withBody(
                "Subject: s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n",
                """
                --XX
                Content-Type: text/plain

                see attached
                --XX
                Content-Type: %s
                Content-Disposition: %s
                Content-Transfer-Encoding: base64

                TVqQAAMAAAAEAAAA
                --XX--
                """
                        .formatted(contentType, disposition));
    }

    @Test
    void attachmentMatchersSeeRfc2231AndEncodedWordNames() {
        String rfc2231 =
                attachment(
                        "application/octet-stream",
                        "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf.exe");
        String encodedWord =
                attachment(
                        "application/octet-stream; name=\"=?utf-8?Q?r=C3=A9sum=C3=A9.js?=\"",
                        "attachment");
        String pdf = attachment("application/pdf", "attachment; filename=\"report.pdf\"");
        CompiledPolicy name = rule("data", "{attachment-name-matches: '^résumé\\.pdf\\.exe$'}");
        assertThat(fires(name, rfc2231)).isTrue();
        assertThat(fires(name, pdf)).isFalse();
        CompiledPolicy ext = rule("data", "{attachment-extension-in: [exe, .JS]}");
        assertThat(fires(ext, rfc2231)).isTrue();
        assertThat(fires(ext, encodedWord)).isTrue();
        assertThat(fires(ext, pdf)).isFalse();
        CompiledPolicy type =
                rule("data", "{attachment-type-in: [application/x-msdownload, 'image/*']}");
        assertThat(fires(type, attachment("application/x-msdownload", "attachment"))).isTrue();
        assertThat(fires(type, attachment("image/gif", "inline"))).isTrue();
        assertThat(fires(type, pdf)).isFalse();
    }

    @Test
    void sizeOverComparesTheMessageSize() {
        String big = withBody("Subject: s\n", ("x".repeat(99) + "\n").repeat(30));
        assertThat(fires(rule("data", "{size-over: 2KiB}"), big)).isTrue();
        assertThat(fires(rule("data", "{size-over: 2KiB}"), TestPolicies.PLAIN)).isFalse();
    }

    @Test
    void urlHostMatchersSeeTextAndHtmlLinks() {
        CompiledPolicy in = rule("data", "{url-host-in: [.phish.example]}");
        assertThat(fires(in, withBody("Subject: s\n", "go to https://login.PHISH.example/x now\n")))
                .isTrue();
        assertThat(
                        fires(
                                in,
                                withBody(
                                        "Subject: s\nContent-Type: text/html\n",
                                        "<a href=\"http://bank.example@secure.phish.example:8080/\">bank.example</a>\n")))
                .isTrue();
        assertThat(
                        fires(
                                in,
                                withBody(
                                        "Subject: s\n",
                                        "phish.example is mentioned but not linked\n")))
                .isFalse();
        CompiledPolicy ip = rule("data", "{url-host-is-ip: true}");
        assertThat(
                        fires(
                                ip,
                                withBody(
                                        "Subject: s\nContent-Type: text/html\n",
                                        "<a href='http://198.51.100.7/login'>x</a>\n")))
                .isTrue();
        assertThat(fires(ip, withBody("Subject: s\n", "http://www.example.org/\n"))).isFalse();
    }

    @Test
    void mimeMalformedMatchesBrokenStructure() {
        String broken =
                withBody(
                        "Subject: s\nContent-Type: multipart/mixed; boundary=B\n",
                        "--B\nContent-Type: text/plain\n\nno closing boundary\n");
        CompiledPolicy p = rule("data", "{mime-malformed: true}");
        assertThat(fires(p, broken)).isTrue();
        assertThat(detail(p, envelope(), broken))
                .isEqualTo("mime-malformed missing closing boundary");
        assertThat(fires(p, TestPolicies.PLAIN)).isFalse();
        assertThat(fires(rule("data", "{mime-malformed: false}"), TestPolicies.PLAIN)).isTrue();
    }

    @Test
    void allAnyNotCompose() {
        CompiledPolicy p =
                rule(
                        "data",
                        """
                        {all: [{subject-contains: offer}, {any: [{body-contains: free}, {body-contains: cheap}]},
                               {not: {header-present: List-Id}}]}\
                        """);
        assertThat(fires(p, withBody("Subject: offer\n", "cheap stuff\n"))).isTrue();
        assertThat(fires(p, withBody("Subject: offer\n", "nothing\n"))).isFalse();
        assertThat(fires(p, withBody("Subject: offer\nList-Id: l\n", "free stuff\n"))).isFalse();
        CompiledPolicy implicitAll = rule("data", "{subject-contains: offer, body-contains: free}");
        assertThat(fires(implicitAll, withBody("Subject: offer\n", "free\n"))).isTrue();
        assertThat(fires(implicitAll, withBody("Subject: offer\n", "paid\n"))).isFalse();
        assertThat(detail(p, envelope(), withBody("Subject: offer\n", "cheap stuff\n")))
                .isEqualTo(
                        "subject-contains \"offer\": \"offer\"; body-contains \"cheap\": \"cheap\";"
                                + " not header-present");
    }
}
