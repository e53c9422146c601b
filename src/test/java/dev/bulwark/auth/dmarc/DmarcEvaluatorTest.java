package dev.bulwark.auth.dmarc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.auth.DkimResult;
import dev.bulwark.auth.DmarcResult;
import dev.bulwark.auth.DmarcResult.Policy;
import dev.bulwark.auth.DmarcResult.Result;
import dev.bulwark.auth.HeaderBlock;
import dev.bulwark.auth.MessageSource;
import dev.bulwark.auth.PublicSuffixList;
import dev.bulwark.auth.SpfResult;
import dev.bulwark.dns.DnsClient;
import dev.bulwark.testing.NsdServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** DMARC against a real authoritative server (nsd) and the policy's PSL snapshot. */
class DmarcEvaluatorTest {

    private static NsdServer nsd;
    private static DmarcEvaluator dmarc;

    @BeforeAll
    static void start() throws Exception {
        nsd =
                NsdServer.start(
                        new NsdServer.Zones()
                                .zone(
                                        "example.com",
                                        "_dmarc TXT \"v=DMARC1; p=reject; sp=quarantine; adkim=r;"
                                                + " aspf=r\"")
                                .zone(
                                        "strict.example",
                                        "_dmarc TXT \"v=DMARC1; p=quarantine; adkim=s; aspf=s\"")
                                .zone("half.example", "_dmarc TXT \"v=DMARC1; p=reject; pct=50\"")
                                .zone("plain.example", "www A 192.0.2.1")
                                .zone(
                                        "co.uk",
                                        "_dmarc.example TXT \"v=DMARC1; p=reject\"",
                                        "_dmarc.nopolicy TXT \"v=DMARC1;"
                                                + " rua=mailto:d@nopolicy.co.uk\"",
                                        "_dmarc.bad TXT \"v=DMARC1; p=bogus\"",
                                        "_dmarc.twice TXT \"v=DMARC1; p=reject\"",
                                        "_dmarc.twice TXT \"v=DMARC1; p=none\"",
                                        "_dmarc.other TXT \"v=spf1 -all\"")
                                .broken("broken.test"));
        dmarc =
                new DmarcEvaluator(
                        new DnsClient(List.of(nsd.address()), Duration.ofSeconds(2)),
                        PublicSuffixList.read(Path.of("policy/psl/public_suffix_list.dat")));
    }

    @AfterAll
    static void stop() {
        nsd.close();
    }

    private static Optional<SpfResult> spf(SpfResult.Result r, String domain) {
        return Optional.of(new SpfResult(r, SpfResult.Identity.MAILFROM, domain, ""));
    }

    private static DkimResult dkim(DkimResult.Result r, String domain) {
        return new DkimResult(r, domain, "s", "rsa-sha256", "b", "", false);
    }

    private static DmarcResult eval(String from, Optional<SpfResult> spf, List<DkimResult> dkim) {
        return dmarc.evaluate(from, "<id@x>", spf, dkim).join();
    }

    @Test
    void passesOnRelaxedAlignmentOfEitherSpfOrDkim() {
        DmarcResult bySpf =
                eval("example.com", spf(SpfResult.Result.PASS, "bounces.example.com"), List.of());
        assertThat(bySpf.result()).isEqualTo(Result.PASS);
        assertThat(bySpf.spfAligned()).isTrue();
        assertThat(bySpf.disposition()).isEqualTo(Policy.NONE);
        DmarcResult byDkim =
                eval(
                        "example.com",
                        spf(SpfResult.Result.FAIL, "example.com"),
                        List.of(
                                dkim(DkimResult.Result.FAIL, "example.com"),
                                dkim(DkimResult.Result.PASS, "mail.example.com")));
        assertThat(byDkim.result()).isEqualTo(Result.PASS);
        assertThat(byDkim.dkimAligned()).isTrue();
    }

    @Test
    void failsWithThePolicyWhenNothingAligned() {
        DmarcResult r =
                eval(
                        "example.com",
                        spf(SpfResult.Result.PASS, "example.net"),
                        List.of(
                                dkim(DkimResult.Result.PASS, "example.net"),
                                dkim(DkimResult.Result.POLICY, "example.com")));
        assertThat(r.result()).isEqualTo(Result.FAIL);
        assertThat(r.policy()).isEqualTo(Policy.REJECT);
        assertThat(r.disposition()).isEqualTo(Policy.REJECT);
    }

    @Test
    void requiresExactDomainsUnderStrictAlignment() {
        assertThat(
                        eval(
                                        "strict.example",
                                        spf(SpfResult.Result.PASS, "mail.strict.example"),
                                        List.of(
                                                dkim(
                                                        DkimResult.Result.PASS,
                                                        "mail.strict.example")))
                                .result())
                .isEqualTo(Result.FAIL);
        assertThat(
                        eval(
                                        "strict.example",
                                        spf(SpfResult.Result.PASS, "strict.example"),
                                        List.of())
                                .result())
                .isEqualTo(Result.PASS);
    }

    @Test
    void usesTheOrganizationalDomainsSubdomainPolicy() {
        DmarcResult sub = eval("news.example.com", Optional.empty(), List.of());
        assertThat(sub.result()).isEqualTo(Result.FAIL);
        assertThat(sub.policy()).isEqualTo(Policy.QUARANTINE);
        DmarcResult uk = eval("mail.example.co.uk", Optional.empty(), List.of());
        assertThat(uk.policy()).isEqualTo(Policy.REJECT);
        assertThat(uk.reason()).contains("_dmarc.example.co.uk");
    }

    @Test
    void samplesPctFromTheMessageIdReproducibly() {
        int in = 0;
        for (int i = 0; i < 200; i++) {
            String id = "<" + i + "@half.example>";
            DmarcResult a = dmarc.evaluate("half.example", id, Optional.empty(), List.of()).join();
            DmarcResult b = dmarc.evaluate("half.example", id, Optional.empty(), List.of()).join();
            assertThat(a.disposition()).isEqualTo(b.disposition());
            assertThat(a.disposition()).isIn(Policy.REJECT, Policy.QUARANTINE);
            if (a.disposition() == Policy.REJECT) {
                in++;
            }
        }
        assertThat(in).isBetween(70, 130);
        assertThat(DmarcEvaluator.sample("<a@b>")).isEqualTo(DmarcEvaluator.sample(" <a@b> "));
    }

    @Test
    void findsNoPolicyWhereThereIsNone() {
        assertThat(eval("plain.example", Optional.empty(), List.of()).result())
                .isEqualTo(Result.NONE);
        assertThat(eval("other.co.uk", Optional.empty(), List.of()).result())
                .isEqualTo(Result.NONE);
        assertThat(eval("twice.co.uk", Optional.empty(), List.of()).result())
                .isEqualTo(Result.NONE);
        DmarcResult bad = eval("bad.co.uk", Optional.empty(), List.of());
        assertThat(bad.result()).isEqualTo(Result.NONE);
        assertThat(bad.reason()).contains("no valid p=");
        DmarcResult rua = eval("nopolicy.co.uk", Optional.empty(), List.of());
        assertThat(rua.result()).isEqualTo(Result.FAIL);
        assertThat(rua.disposition()).isEqualTo(Policy.NONE);
    }

    @Test
    void givesTemperrorWhenThePolicyCannotBeFetched() {
        assertThat(eval("broken.test", Optional.empty(), List.of()).result())
                .isEqualTo(Result.TEMPERROR);
        assertThat(eval("a.broken.test", Optional.empty(), List.of()).result())
                .isEqualTo(Result.TEMPERROR);
    }

    private static MessageSource message(String text) {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        return () -> new ByteArrayInputStream(b);
    }

    @Test
    void readsTheOneFromAddressOfTheMessage() throws Exception {
        DmarcResult r =
                dmarc.evaluate(
                                message(
                                        "From: \"Ada, Countess\" (x@evil.example)"
                                                + " <ada@News.Example.com>\r\n"
                                                + "Message-ID: <1@x>\r\n\r\n"
                                                + "hi\r\n"),
                                Optional.empty(),
                                List.of())
                        .join();
        assertThat(r.fromDomain()).isEqualTo("news.example.com");
        assertThat(
                        dmarc.evaluate(
                                        message("From: a@example.com, b@example.org\r\n\r\n"),
                                        Optional.empty(),
                                        List.of())
                                .join()
                                .reason())
                .isEqualTo("several From addresses");
        assertThat(
                        dmarc.evaluate(
                                        message(
                                                "From: a@example.com\r\n"
                                                        + "From: b@example.org\r\n\r\n"),
                                        Optional.empty(),
                                        List.of())
                                .join()
                                .result())
                .isEqualTo(Result.PERMERROR);
        assertThat(
                        DmarcEvaluator.fromDomain(
                                        HeaderBlock.read(
                                                new ByteArrayInputStream(
                                                        "Subject: x\r\n\r\n"
                                                                .getBytes(
                                                                        StandardCharsets
                                                                                .ISO_8859_1)),
                                                1000,
                                                10))
                                .problem())
                .isEqualTo("no From field");
    }

    @Test
    void findsAnInternationalizedFromDomainInItsALabelForm() throws Exception {
        byte[] utf8 = "From: Jörg <joerg@Bücher.example>\r\n\r\n".getBytes(StandardCharsets.UTF_8);
        assertThat(
                        DmarcEvaluator.fromDomain(
                                        HeaderBlock.read(new ByteArrayInputStream(utf8), 1000, 10))
                                .domain())
                .contains("xn--bcher-kva.example");
        byte[] latin1 = "From: a@b\u00fccher.example\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(
                        DmarcEvaluator.fromDomain(
                                        HeaderBlock.read(
                                                new ByteArrayInputStream(latin1), 1000, 10))
                                .problem())
                .as("octets that are not UTF-8 are no domain")
                .startsWith("no domain in From");
    }

    @Test
    void aFromDomainOfTensOfThousandsOfLabelsIsNoDomainNotAStackOverflow() throws Exception {
        String labels = "a.".repeat(60_000) + "com";
        byte[] many = ("From: x@" + labels + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        assertThat(
                        DmarcEvaluator.fromDomain(
                                        HeaderBlock.read(
                                                new ByteArrayInputStream(many), 256 * 1024, 10))
                                .problem())
                .startsWith("no domain in From");
        byte[] wide =
                ("From: x@" + "\u00fc".repeat(40_000) + ".example\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8);
        assertThat(
                        DmarcEvaluator.fromDomain(
                                        HeaderBlock.read(
                                                new ByteArrayInputStream(wide), 256 * 1024, 10))
                                .problem())
                .startsWith("no domain in From");
    }
}
