package dev.bulwark.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.testing.NsdServer;
import dev.bulwark.testing.SilentDnsServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

/** The network resolver against a real authoritative server (nsd) and a silent one. */
class DnsClientTest {

    private static NsdServer nsd;
    private static DnsClient client;

    @BeforeAll
    static void start() {
        String[] many =
                IntStream.range(0, 40)
                        .mapToObj(i -> "big TXT \"filler record number " + i + " padding padding\"")
                        .toArray(String[]::new);
        nsd =
                NsdServer.start(
                        new NsdServer.Zones()
                                .zone(
                                        "example.com",
                                        "@ 300 TXT \"v=spf1 \" \"ip4:192.0.2.0/24 -all\"",
                                        "@ 300 MX 20 mx2",
                                        "@ 300 MX 10 mx1.example.com.",
                                        "mx1 120 A 192.0.2.10",
                                        "mx1 AAAA 2001:db8::10",
                                        "alias CNAME mx1",
                                        "outside CNAME host.example.net.",
                                        "loop1 CNAME loop2",
                                        "loop2 CNAME loop1")
                                .zone("example.com", many)
                                .zone("example.net", "host A 198.51.100.7")
                                .zone("2.0.192.in-addr.arpa", "10 PTR mx1.example.com.")
                                .broken("broken.test"));
        client = new DnsClient(List.of(nsd.address()), Duration.ofSeconds(2));
    }

    @AfterAll
    static void stop() {
        nsd.close();
    }

    private static DnsAnswer ask(String name, RecordType type) {
        return client.lookup(name, type).join();
    }

    @Test
    void joinsTheCharacterStringsOfATxtRecord() {
        DnsAnswer a = ask("example.com", RecordType.TXT);
        assertThat(a.status()).isEqualTo(DnsAnswer.Status.OK);
        assertThat(a.texts()).containsExactly("v=spf1 ip4:192.0.2.0/24 -all");
        assertThat(a.ttl()).isEqualTo(Duration.ofSeconds(300));
    }

    @Test
    void readsAddressesAndMxRecordsWithTheirPreferenceAndTtl() {
        DnsAnswer mx = ask("EXAMPLE.com.", RecordType.MX);
        assertThat(mx.records())
                .containsExactlyInAnyOrder(
                        new DnsRecord(RecordType.MX, "mx1.example.com", 10),
                        new DnsRecord(RecordType.MX, "mx2.example.com", 20));
        DnsAnswer a = ask("mx1.example.com", RecordType.A);
        assertThat(a.addresses()).containsExactly(InetAddress.ofLiteral("192.0.2.10"));
        assertThat(a.ttl()).isEqualTo(Duration.ofSeconds(120));
        assertThat(ask("mx1.example.com", RecordType.AAAA).addresses())
                .containsExactly(InetAddress.ofLiteral("2001:db8::10"));
    }

    @Test
    void looksUpReverseNames() {
        String name = DnsResolver.reverseName(InetAddress.ofLiteral("192.0.2.10"));
        assertThat(name).isEqualTo("10.2.0.192.in-addr.arpa");
        assertThat(ask(name, RecordType.PTR).hosts()).containsExactly("mx1.example.com");
        assertThat(DnsResolver.reverseName(InetAddress.ofLiteral("2001:db8::1")))
                .isEqualTo(
                        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    }

    @Test
    void tellsAMissingNameFromAMissingTypeWithTheSoaNegativeTtl() {
        DnsAnswer nx = ask("nope.example.com", RecordType.TXT);
        assertThat(nx.status()).isEqualTo(DnsAnswer.Status.NXDOMAIN);
        assertThat(nx.ttl()).isEqualTo(Duration.ofSeconds(60));
        DnsAnswer nodata = ask("mx1.example.com", RecordType.TXT);
        assertThat(nodata.status()).isEqualTo(DnsAnswer.Status.NODATA);
        assertThat(nodata.isEmpty()).isTrue();
    }

    @Test
    void followsCnamesInsideAndAcrossZones() {
        assertThat(ask("alias.example.com", RecordType.A).addresses())
                .containsExactly(InetAddress.ofLiteral("192.0.2.10"));
        assertThat(ask("outside.example.com", RecordType.A).addresses())
                .containsExactly(InetAddress.ofLiteral("198.51.100.7"));
    }

    @Test
    void stopsAtACnameLoop() {
        DnsAnswer a = ask("loop1.example.com", RecordType.A);
        assertThat(a.status()).isIn(DnsAnswer.Status.NODATA, DnsAnswer.Status.NXDOMAIN);
    }

    @Test
    void fallsBackToTcpForAnAnswerTooLargeForUdp() {
        DnsAnswer a = ask("big.example.com", RecordType.TXT);
        assertThat(a.texts()).hasSize(40);
    }

    @Test
    void reportsServerFailuresAsServfail() {
        DnsAnswer broken = ask("broken.test", RecordType.TXT);
        assertThat(broken.status()).isEqualTo(DnsAnswer.Status.SERVFAIL);
        assertThat(broken.isTemporaryFailure()).isTrue();
        DnsAnswer refused = ask("not-served.org", RecordType.A);
        assertThat(refused.status()).isEqualTo(DnsAnswer.Status.SERVFAIL);
        assertThat(refused.detail()).contains("REFUSED");
    }

    @Test
    void answersATimeoutWithinTheBudgetWhenTheServerIsSilent() {
        try (SilentDnsServer silent = new SilentDnsServer()) {
            DnsClient c = new DnsClient(List.of(silent.address()), Duration.ofMillis(300));
            // join() returns at all only because the client ends the query by its own deadline.
            DnsAnswer a = c.lookup("example.com", RecordType.TXT).join();
            assertThat(a.status()).isEqualTo(DnsAnswer.Status.TIMEOUT);
        }
    }

    @Test
    void asksTheNextServerWhenTheFirstIsSilent() {
        try (SilentDnsServer silent = new SilentDnsServer()) {
            DnsClient c =
                    new DnsClient(List.of(silent.address(), nsd.address()), Duration.ofSeconds(1));
            assertThat(c.lookup("example.com", RecordType.TXT).join().texts())
                    .containsExactly("v=spf1 ip4:192.0.2.0/24 -all");
        }
    }

    @Test
    void answersNxdomainForANameDnsCannotCarry() {
        DnsAnswer a = ask("x".repeat(70) + ".example.com", RecordType.A);
        assertThat(a.status()).isEqualTo(DnsAnswer.Status.NXDOMAIN);
        assertThat(a.detail()).contains("not a valid domain name");
    }
}
