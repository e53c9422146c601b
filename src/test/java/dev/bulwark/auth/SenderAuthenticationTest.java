package dev.bulwark.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.auth.dkim.DkimVerifier;
import dev.bulwark.auth.dkim.TestSigner;
import dev.bulwark.auth.dmarc.DmarcEvaluator;
import dev.bulwark.auth.dnsbl.DnsListChecker;
import dev.bulwark.auth.spf.SpfEvaluator;
import dev.bulwark.check.Message;
import dev.bulwark.dns.CachingResolver;
import dev.bulwark.dns.DnsClient;
import dev.bulwark.dns.DnsResolver;
import dev.bulwark.dns.RecordedResolver;
import dev.bulwark.dns.RecordingResolver;
import dev.bulwark.testing.ManualClock;
import dev.bulwark.testing.NsdServer;
import dev.bulwark.testing.SilentDnsServer;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * All the engines for one transaction, as the flow will drive them: lists at connect, SPF at MAIL,
 * DKIM and DMARC at the end of DATA, then the Authentication-Results field. Against nsd, against a
 * silent DNS server, and replayed from the answers recorded on the first run.
 */
class SenderAuthenticationTest {

    private static final InetAddress CLIENT = InetAddress.ofLiteral("192.0.2.10");
    private static final String MESSAGE =
            "From: Ada <ada@example.com>\r\nTo: bob@example.org\r\nSubject: Hi\r\n"
                    + "Message-ID: <m1@example.com>\r\n\r\nSee https://www.evil.example/x\r\n";

    private record Bytes(byte[] data) implements Message {
        @Override
        public long size() {
            return data.length;
        }

        @Override
        public InputStream open() {
            return new ByteArrayInputStream(data);
        }
    }

    /** One transaction through every engine; returns what it found. */
    private static Authentication transaction(DnsResolver dns, Message message) throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2026-06-01T00:00:00Z"));
        PublicSuffixList psl = PublicSuffixList.read(Path.of("policy/psl/public_suffix_list.dat"));
        DnsListChecker lists = new DnsListChecker(dns, psl);
        SpfEvaluator spf =
                new SpfEvaluator(dns, clock, Duration.ofSeconds(5), "mx.bulwark.example");
        DkimVerifier dkim = new DkimVerifier(dns, clock, DkimVerifier.Limits.DEFAULT);
        DmarcEvaluator dmarc = new DmarcEvaluator(dns, psl);
        // connect
        CompletableFuture<List<ListResult>> clientLists =
                lists.checkClient(CLIENT, List.of("bl.test"));
        // HELO and MAIL
        CompletableFuture<SpfResult> helo = spf.checkHelo(CLIENT, "mail.example.com");
        CompletableFuture<SpfResult> mailFrom =
                spf.checkMailFrom(CLIENT, "mail.example.com", "ada@example.com");
        // end of DATA
        CompletableFuture<List<DkimResult>> signatures = dkim.verify(message::open);
        CompletableFuture<DmarcEvaluator.Discovery> policy = dmarc.discover("example.com");
        CompletableFuture<DnsListChecker.UriCheck> uris =
                lists.checkHosts(List.of("www.evil.example"), List.of("uribl.test"), 20);
        Authentication auth =
                Authentication.empty()
                        .withClientLists(clientLists.join())
                        .withHelo(helo.join())
                        .withMailFrom(mailFrom.join())
                        .withDkim(signatures.join())
                        .withUriLists(uris.join().results());
        return auth.withDmarc(
                dmarc.decide(policy.join(), auth.mailFrom(), auth.dkim(), "<m1@example.com>"));
    }

    @Test
    void authenticatesATransactionAndWritesTheHeaderAndReplaysItOffline() throws Exception {
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] spki = ed.getPublic().getEncoded();
        String p =
                Base64.getEncoder()
                        .encodeToString(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
        Message signed =
                new Bytes(
                        TestSigner.sign(MESSAGE, ed, TestSigner.Options.of("example.com", "ed"))
                                .getBytes(StandardCharsets.ISO_8859_1));
        String recorded;
        Authentication live;
        try (NsdServer nsd =
                NsdServer.start(
                        new NsdServer.Zones()
                                .zone(
                                        "example.com",
                                        "@ TXT \"v=spf1 mx -all\"",
                                        "@ MX 10 mail",
                                        "mail A 192.0.2.10",
                                        "mail TXT \"v=spf1 a -all\"",
                                        "_dmarc TXT \"v=DMARC1; p=reject\"",
                                        "ed._domainkey TXT \"v=DKIM1; k=ed25519; p=" + p + "\"")
                                .zone("bl.test", "10.2.0.192 A 127.0.0.2")
                                .zone("uribl.test", "evil.example A 127.0.0.4"))) {
            RecordingResolver recorder =
                    new RecordingResolver(
                            new DnsClient(List.of(nsd.address()), Duration.ofSeconds(2)));
            live =
                    transaction(
                            new CachingResolver(
                                    recorder,
                                    new ManualClock(Instant.EPOCH),
                                    1000,
                                    Duration.ofHours(1)),
                            signed);
            assertThat(live.mailFrom().orElseThrow().result()).isEqualTo(SpfResult.Result.PASS);
            assertThat(live.helo().orElseThrow().result()).isEqualTo(SpfResult.Result.PASS);
            assertThat(live.dkim())
                    .extracting(DkimResult::result)
                    .containsExactly(DkimResult.Result.PASS);
            assertThat(live.dmarc().orElseThrow().result()).isEqualTo(DmarcResult.Result.PASS);
            assertThat(live.clientLists().get(0).codes()).containsExactly("127.0.0.2");
            assertThat(live.uriLists().get(0).subject()).isEqualTo("evil.example");
            String header = new AuthenticationResults("mx.bulwark.example").render(live);
            assertThat(header)
                    .startsWith("Authentication-Results: mx.bulwark.example;\r\n\tspf=pass")
                    .contains("smtp.mailfrom=example.com")
                    .contains("smtp.helo=mail.example.com")
                    .contains("dkim=pass header.d=example.com header.s=ed")
                    .contains(
                            "dmarc=pass (p=reject dis=none) reason=\"aligned DKIM, record at"
                                    + " _dmarc.example.com\" header.from=example.com");
            recorded = recorder.render();
        }
        // The server is gone: the recorded answers give the same authentication.
        RecordedResolver replay = RecordedResolver.parse("recorded", recorded);
        Authentication again = transaction(replay, signed);
        assertThat(again.mailFrom()).map(SpfResult::result).contains(SpfResult.Result.PASS);
        assertThat(again.dkim())
                .extracting(DkimResult::result)
                .containsExactly(DkimResult.Result.PASS);
        assertThat(again.dmarc()).map(DmarcResult::result).contains(DmarcResult.Result.PASS);
        assertThat(again.clientLists()).isEqualTo(live.clientLists());
        assertThat(again.uriLists()).isEqualTo(live.uriLists());
        assertThat(replay.unrecorded()).isEmpty();
    }

    @Test
    void givesOnlyTemperrorsWhenDnsIsUnreachable() throws Exception {
        try (SilentDnsServer silent = new SilentDnsServer()) {
            DnsResolver dns = new DnsClient(List.of(silent.address()), Duration.ofMillis(300));
            KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            Message signed =
                    new Bytes(
                            TestSigner.sign(MESSAGE, ed, TestSigner.Options.of("example.com", "ed"))
                                    .getBytes(StandardCharsets.ISO_8859_1));
            Authentication a = transaction(dns, signed);
            assertThat(a.helo().orElseThrow().result()).isEqualTo(SpfResult.Result.TEMPERROR);
            assertThat(a.mailFrom().orElseThrow().result()).isEqualTo(SpfResult.Result.TEMPERROR);
            assertThat(a.dkim())
                    .extracting(DkimResult::result)
                    .containsExactly(DkimResult.Result.TEMPERROR);
            assertThat(a.dmarc().orElseThrow().result()).isEqualTo(DmarcResult.Result.TEMPERROR);
            assertThat(a.clientLists())
                    .extracting(ListResult::status)
                    .containsExactly(ListResult.Status.TEMPERROR);
            assertThat(a.uriLists())
                    .extracting(ListResult::status)
                    .containsExactly(ListResult.Status.TEMPERROR);
            assertThat(new AuthenticationResults("mx.bulwark.example").render(a))
                    .contains("spf=temperror")
                    .contains("dkim=temperror")
                    .contains("dmarc=temperror")
                    .doesNotContain("=fail");
        }
    }
}
