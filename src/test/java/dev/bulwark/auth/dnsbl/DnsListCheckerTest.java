package dev.bulwark.auth.dnsbl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.auth.ListResult;
import dev.bulwark.auth.ListResult.Status;
import dev.bulwark.auth.PublicSuffixList;
import dev.bulwark.dns.DnsClient;
import dev.bulwark.testing.NsdServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Client and URI lists served by a real authoritative server (nsd). */
class DnsListCheckerTest {

    private static NsdServer nsd;
    private static DnsListChecker lists;

    @BeforeAll
    static void start() throws Exception {
        nsd =
                NsdServer.start(
                        new NsdServer.Zones()
                                .zone(
                                        "bl.test",
                                        "2.0.0.127 A 127.0.0.2", // RFC 5782 section 5: the test
                                        // entry
                                        "10.2.0.192 A 127.0.0.4",
                                        "10.2.0.192 A 127.0.0.2",
                                        "11.2.0.192 A 127.255.255.254",
                                        "12.2.0.192 A 192.0.2.99",
                                        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
                                            + " A 127.0.0.3")
                                .zone("wl.test", "10.2.0.192 A 127.0.10.1")
                                .zone(
                                        "uribl.test",
                                        "evil.example A 127.0.0.2",
                                        "bad.co.uk A 127.0.0.4",
                                        "66.113.0.203 A 127.0.0.8")
                                .broken("broken.test"));
        lists =
                new DnsListChecker(
                        new DnsClient(List.of(nsd.address()), Duration.ofSeconds(2)),
                        PublicSuffixList.read(Path.of("policy/psl/public_suffix_list.dat")));
    }

    @AfterAll
    static void stop() {
        nsd.close();
    }

    private static List<ListResult> client(String ip, String... zones) {
        return lists.checkClient(InetAddress.ofLiteral(ip), List.of(zones)).join();
    }

    @Test
    void listsAnIpv4ClientWithItsReturnCodes() {
        ListResult r = client("192.0.2.10", "bl.test").get(0);
        assertThat(r.status()).isEqualTo(Status.LISTED);
        assertThat(r.codes()).containsExactly("127.0.0.2", "127.0.0.4");
        assertThat(r.subject()).isEqualTo("192.0.2.10");
        assertThat(client("127.0.0.2", "bl.test").get(0).codes()).containsExactly("127.0.0.2");
        assertThat(client("192.0.2.20", "bl.test").get(0).status()).isEqualTo(Status.NOT_LISTED);
    }

    @Test
    void listsAnIpv6ClientByReversedNibbles() {
        ListResult r = client("2001:db8::1", "bl.test").get(0);
        assertThat(r.status()).isEqualTo(Status.LISTED);
        assertThat(r.codes()).containsExactly("127.0.0.3");
    }

    @Test
    void asksEveryZoneAndKeepsTheirOrder() {
        List<ListResult> r = client("192.0.2.10", "wl.test", "bl.test", "broken.test");
        assertThat(r)
                .extracting(ListResult::zone)
                .containsExactly("wl.test", "bl.test", "broken.test");
        assertThat(r)
                .extracting(ListResult::status)
                .containsExactly(Status.LISTED, Status.LISTED, Status.TEMPERROR);
    }

    @Test
    void neverTakesARefusalOrAForeignAnswerForAListing() {
        ListResult refused = client("192.0.2.11", "bl.test").get(0);
        assertThat(refused.status()).isEqualTo(Status.TEMPERROR);
        assertThat(refused.reason()).isEqualTo("list refused the query: 127.255.255.254");
        ListResult foreign = client("192.0.2.12", "bl.test").get(0);
        assertThat(foreign.status()).isEqualTo(Status.TEMPERROR);
        assertThat(foreign.reason()).isEqualTo("not a list answer: 192.0.2.99");
    }

    @Test
    void looksUpTheRegistrableDomainOfEachHostOnce() {
        DnsListChecker.UriCheck r =
                lists.checkHosts(
                                List.of(
                                        "www.evil.example",
                                        "cdn.evil.example",
                                        "shop.bad.co.uk",
                                        "co.uk",
                                        "203.0.113.66",
                                        "good.example.org"),
                                List.of("uribl.test"),
                                10)
                        .join();
        assertThat(r.results())
                .extracting(ListResult::subject, ListResult::status)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("evil.example", Status.LISTED),
                        org.assertj.core.groups.Tuple.tuple("bad.co.uk", Status.LISTED),
                        org.assertj.core.groups.Tuple.tuple("203.0.113.66", Status.LISTED),
                        org.assertj.core.groups.Tuple.tuple("example.org", Status.NOT_LISTED));
        assertThat(r.notChecked()).isEmpty();
    }

    @Test
    void stopsAtTheLookupCapAndNamesWhatItSkipped() {
        DnsListChecker.UriCheck r =
                lists.checkHosts(
                                List.of("a.example", "b.example", "c.example", "evil.example"),
                                List.of("uribl.test", "bl.test"),
                                5)
                        .join();
        assertThat(r.results()).hasSize(4);
        assertThat(r.notChecked()).containsExactly("c.example", "evil.example");
    }
}
