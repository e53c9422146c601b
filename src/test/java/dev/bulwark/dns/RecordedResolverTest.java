package dev.bulwark.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bulwark.testing.NsdServer;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

class RecordedResolverTest {

    private static final String FILE =
            """
            # answers recorded for the tests
            example.com.          300 TXT  "v=spf1 " "ip4:192.0.2.0/24 -all"  ; joined
            example.com.              MX   10 mail.example.com.
            Mail.Example.com.         A    192.0.2.10
            mail.example.com.         AAAA 2001:db8::10
            10.2.0.192.in-addr.arpa.  PTR  mail.example.com.
            gone.example.com.      60 NXDOMAIN
            example.com.              AAAA NODATA
            slow.example.com.         TXT  TIMEOUT
            broken.example.com.       TXT  SERVFAIL
            quoted.example.com.       TXT  "say \\"hi\\" \\\\ \\059"
            """;

    private static DnsAnswer ask(RecordedResolver r, String name, RecordType type) {
        return r.lookup(name, type).join();
    }

    @Test
    void answersFromTheFile() throws Exception {
        RecordedResolver r = RecordedResolver.parse("answers.txt", FILE);
        DnsAnswer txt = ask(r, "example.com", RecordType.TXT);
        assertThat(txt.texts()).containsExactly("v=spf1 ip4:192.0.2.0/24 -all");
        assertThat(txt.ttl()).isEqualTo(Duration.ofSeconds(300));
        assertThat(ask(r, "example.com.", RecordType.MX).records())
                .containsExactly(new DnsRecord(RecordType.MX, "mail.example.com", 10));
        assertThat(ask(r, "MAIL.example.com", RecordType.A).addresses())
                .containsExactly(InetAddress.ofLiteral("192.0.2.10"));
        assertThat(ask(r, "10.2.0.192.in-addr.arpa", RecordType.PTR).hosts())
                .containsExactly("mail.example.com");
        assertThat(ask(r, "quoted.example.com", RecordType.TXT).texts())
                .containsExactly("say \"hi\" \\ ;");
    }

    @Test
    void answersTypedFailuresAndEmptyAnswers() throws Exception {
        RecordedResolver r = RecordedResolver.parse("answers.txt", FILE);
        assertThat(ask(r, "gone.example.com", RecordType.A).status())
                .isEqualTo(DnsAnswer.Status.NXDOMAIN);
        assertThat(ask(r, "gone.example.com", RecordType.A).ttl())
                .isEqualTo(Duration.ofSeconds(60));
        assertThat(ask(r, "example.com", RecordType.AAAA).status())
                .isEqualTo(DnsAnswer.Status.NODATA);
        // A name with records of other types has no data of this one.
        assertThat(ask(r, "mail.example.com", RecordType.TXT).status())
                .isEqualTo(DnsAnswer.Status.NODATA);
        assertThat(ask(r, "slow.example.com", RecordType.TXT).status())
                .isEqualTo(DnsAnswer.Status.TIMEOUT);
        assertThat(ask(r, "broken.example.com", RecordType.TXT).status())
                .isEqualTo(DnsAnswer.Status.SERVFAIL);
        assertThat(r.unrecorded()).isEmpty();
    }

    @Test
    void answersNxdomainForWhatWasNotRecordedAndSaysSo() throws Exception {
        RecordedResolver r = RecordedResolver.parse("answers.txt", FILE);
        assertThat(ask(r, "other.example.org", RecordType.TXT).status())
                .isEqualTo(DnsAnswer.Status.NXDOMAIN);
        assertThat(r.unrecorded()).containsExactly("other.example.org TXT");
    }

    @Test
    void reportsEveryBadLineWithItsPosition() {
        String bad =
                """
                example.com. TXT v=spf1
                example.com. SRV 0 0 25 mail.example.com.
                mail.example.com. A 2001:db8::1
                mail.example.com. MX ten mail.example.com.
                x.example.com. TXT "unterminated
                example.com.
                gone.example.com. NXDOMAIN extra
                """;
        assertThatThrownBy(() -> RecordedResolver.parse("dns/answers.txt", bad))
                .isInstanceOfSatisfying(
                        RecordedAnswersException.class,
                        e ->
                                assertThat(e.diagnostics())
                                        .containsExactly(
                                                "dns/answers.txt:1:18: error: TXT data must be"
                                                        + " quoted strings, got 'v=spf1'",
                                                "dns/answers.txt:2:14: error: unknown record type"
                                                        + " 'SRV': expected one of A, AAAA, MX,"
                                                        + " TXT, PTR, or NXDOMAIN",
                                                "dns/answers.txt:3:21: error: '2001:db8::1' is"
                                                        + " not an IPv4 address",
                                                "dns/answers.txt:4:22: error: 'ten' is not an MX"
                                                        + " preference (0 to 65535)",
                                                "dns/answers.txt:5:20: error: unterminated quoted"
                                                        + " string",
                                                "dns/answers.txt:6:13: error: expected a record"
                                                        + " type or NXDOMAIN after the name",
                                                "dns/answers.txt:7:28: error: nothing may follow"
                                                        + " NXDOMAIN"));
    }

    @Test
    void refusesRecordsAndAnOutcomeForOneQuestion() {
        assertThatThrownBy(
                        () ->
                                RecordedResolver.parse(
                                        "a.txt", "x.example. A 192.0.2.1\nx.example. A TIMEOUT\n"))
                .hasMessage("a.txt: error: x.example A has both records and TIMEOUT");
    }

    @Test
    void replaysWhatTheRecorderCapturedFromALiveServer() throws Exception {
        try (NsdServer nsd =
                NsdServer.start(
                        new NsdServer.Zones()
                                .zone(
                                        "example.com",
                                        "@ TXT \"v=spf1 mx \" \"-all\"",
                                        "@ MX 10 mail",
                                        "mail A 192.0.2.10",
                                        "q TXT \"with \\\"quotes\\\" and ; semicolon\"")
                                .broken("broken.test"))) {
            RecordingResolver recorder =
                    new RecordingResolver(
                            new DnsClient(List.of(nsd.address()), Duration.ofSeconds(2)));
            List<Object[]> questions =
                    List.of(
                            new Object[] {"example.com", RecordType.TXT},
                            new Object[] {"example.com", RecordType.MX},
                            new Object[] {"mail.example.com", RecordType.A},
                            new Object[] {"mail.example.com", RecordType.AAAA},
                            new Object[] {"q.example.com", RecordType.TXT},
                            new Object[] {"nope.example.com", RecordType.A},
                            new Object[] {"broken.test", RecordType.TXT});
            List<DnsAnswer> live =
                    questions.stream()
                            .map(q -> recorder.lookup((String) q[0], (RecordType) q[1]).join())
                            .toList();
            String recorded = recorder.render();
            RecordedResolver replay = RecordedResolver.parse("recorded", recorded);
            for (int i = 0; i < questions.size(); i++) {
                DnsAnswer again =
                        replay.lookup(
                                        (String) questions.get(i)[0],
                                        (RecordType) questions.get(i)[1])
                                .join();
                assertThat(again.status()).as(recorded).isEqualTo(live.get(i).status());
                assertThat(again.records()).as(recorded).isEqualTo(live.get(i).records());
            }
            assertThat(recorded)
                    .contains("example.com. 300 TXT \"v=spf1 mx -all\"\n")
                    .contains("nope.example.com. 60 NXDOMAIN\n")
                    .contains("mail.example.com. 60 AAAA NODATA\n")
                    .contains("broken.test. TXT SERVFAIL\n");
        }
    }
}
