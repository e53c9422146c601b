package dev.bulwark.auth.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.auth.DkimResult;
import dev.bulwark.auth.DkimResult.Result;
import dev.bulwark.check.Message;
import dev.bulwark.dns.DnsClient;
import dev.bulwark.testing.ManualClock;
import dev.bulwark.testing.NsdServer;
import dev.bulwark.testing.SilentDnsServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * DKIM against a real authoritative server (nsd) publishing the RFC 8463 keys and keys the test
 * generates (RSA 2048, RSA 512, Ed25519).
 */
class DkimVerifierTest {

    /** RFC 8463 appendix A.2. */
    private static final String RFC_ED25519 =
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    private static final String RFC_RSA =
            "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
                    + "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
                    + "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
                    + "Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

    private static final String MESSAGE =
            "From: Ada <ada@example.com>\r\n"
                    + "To: grace@example.org\r\n"
                    + "Subject:  Hello \t there\r\n"
                    + "Message-ID: <m1@example.com>\r\n"
                    + "\r\n"
                    + "Hi Grace,  \r\n"
                    + "\tthe\t tests   pass.\r\n"
                    + "\r\n"
                    + "\r\n";

    private static KeyPair rsa;
    private static KeyPair ed;
    private static KeyPair weak;
    private static NsdServer nsd;
    private static DkimVerifier verifier;

    record Bytes(byte[] data) implements Message {
        static Bytes of(String s) {
            return new Bytes(s.getBytes(StandardCharsets.ISO_8859_1));
        }

        @Override
        public long size() {
            return data.length;
        }

        @Override
        public InputStream open() {
            return new ByteArrayInputStream(data);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        rsa = g.generateKeyPair();
        KeyPairGenerator w = KeyPairGenerator.getInstance("RSA");
        w.initialize(512);
        weak = w.generateKeyPair();
        ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        String rsaP = Base64.getEncoder().encodeToString(rsa.getPublic().getEncoded());
        String weakP = Base64.getEncoder().encodeToString(weak.getPublic().getEncoded());
        byte[] spki = ed.getPublic().getEncoded();
        String edP =
                Base64.getEncoder()
                        .encodeToString(
                                java.util.Arrays.copyOfRange(spki, spki.length - 32, spki.length));
        nsd =
                NsdServer.start(
                        new NsdServer.Zones()
                                .zone(
                                        "football.example.com",
                                        "brisbane._domainkey TXT " + txt(RFC_ED25519),
                                        "test._domainkey TXT " + txt(RFC_RSA))
                                .zone(
                                        "example.com",
                                        "rsa._domainkey TXT " + txt("v=DKIM1; k=rsa; p=" + rsaP),
                                        "ed._domainkey TXT " + txt("v=DKIM1; k=ed25519; p=" + edP),
                                        "weak._domainkey TXT " + txt("v=DKIM1; p=" + weakP),
                                        "revoked._domainkey TXT \"v=DKIM1; k=rsa; p=\"",
                                        "strict._domainkey TXT " + txt("v=DKIM1; t=s; p=" + rsaP),
                                        "testing._domainkey TXT " + txt("v=DKIM1; t=y; p=" + rsaP),
                                        "sha1only._domainkey TXT "
                                                + txt("v=DKIM1; h=sha1; p=" + rsaP),
                                        "edtype._domainkey TXT "
                                                + txt("v=DKIM1; k=ed25519; p=" + rsaP))
                                .broken("broken.test"));
        verifier = verifierWith(new DnsClient(List.of(nsd.address()), Duration.ofSeconds(2)));
    }

    private static DkimVerifier verifierWith(dev.bulwark.dns.DnsResolver dns) {
        return new DkimVerifier(
                dns,
                new ManualClock(Instant.parse("2026-06-01T00:00:00Z")),
                DkimVerifier.Limits.DEFAULT);
    }

    /** A TXT record's data as quoted strings of at most 255 octets. */
    private static String txt(String value) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < value.length(); i += 200) {
            parts.add("\"" + value.substring(i, Math.min(value.length(), i + 200)) + "\"");
        }
        return String.join(" ", parts);
    }

    @AfterAll
    static void stop() {
        nsd.close();
    }

    private static List<DkimResult> verify(String message) {
        return verifier.verify(Bytes.of(message)::open).join();
    }

    private static DkimResult first(String message) {
        return verify(message).get(0);
    }

    @Test
    void verifiesBothSignaturesOfTheRfc8463Example() throws Exception {
        String message =
                Files.readString(
                        Path.of("src/test/resources/dkim/rfc8463-a3.eml"),
                        StandardCharsets.ISO_8859_1);
        List<DkimResult> results = verify(message);
        assertThat(results)
                .extracting(DkimResult::result)
                .containsExactly(Result.PASS, Result.PASS);
        assertThat(results).extracting(DkimResult::selector).containsExactly("brisbane", "test");
        assertThat(results.get(0).algorithm()).isEqualTo("ed25519-sha256");
        assertThat(results.get(0).domain()).isEqualTo("football.example.com");
        assertThat(results.get(0).signature()).startsWith("/gCrinpcQOoI");
        // Changing a signed word breaks both, at the body hash.
        assertThat(verify(message.replace("hungry", "angry")))
                .extracting(DkimResult::reason)
                .containsExactly("body hash mismatch", "body hash mismatch");
        // A second From above the signed one breaks both: h= names From twice (oversigning).
        assertThat(
                        verify(
                                message.replace(
                                        "From: Joe",
                                        "From: Mallory <m@evil.example>\r\nFrom: Joe")))
                .extracting(DkimResult::result)
                .containsExactly(Result.FAIL, Result.FAIL);
    }

    @Test
    void verifiesGeneratedRsaAndEd25519SignaturesInEveryCanonicalization() throws Exception {
        for (boolean header : new boolean[] {true, false}) {
            for (boolean body : new boolean[] {true, false}) {
                for (String selector : List.of("rsa", "ed")) {
                    KeyPair key = selector.equals("rsa") ? rsa : ed;
                    String signed =
                            TestSigner.sign(
                                    MESSAGE,
                                    key,
                                    TestSigner.Options.of("example.com", selector)
                                            .canon(header, body));
                    DkimResult r = first(signed);
                    assertThat(r.result())
                            .as(selector + " " + header + "/" + body + ": " + r.reason())
                            .isEqualTo(Result.PASS);
                }
            }
        }
    }

    @Test
    void relaxedToleratesWhitespaceChangesAndSimpleDoesNot() throws Exception {
        String relaxed = TestSigner.sign(MESSAGE, rsa, TestSigner.Options.of("example.com", "rsa"));
        String reflowed = relaxed.replace("Hi Grace,  \r\n", "Hi   Grace,\r\n") + "\r\n\r\n";
        assertThat(first(reflowed).result()).isEqualTo(Result.PASS);
        String simple =
                TestSigner.sign(
                        MESSAGE,
                        rsa,
                        TestSigner.Options.of("example.com", "rsa").canon(false, false));
        assertThat(first(simple.replace("Hi Grace,  \r\n", "Hi   Grace,\r\n")).reason())
                .isEqualTo("body hash mismatch");
        assertThat(first(simple.replace("Subject:  Hello", "Subject: Hello")).reason())
                .isEqualTo("signature does not verify");
    }

    @Test
    void treatsUnsignedContentAfterTheBodyLengthAsPolicyNotPass() throws Exception {
        long full =
                TestSigner.relaxedBody(MESSAGE.substring(MESSAGE.indexOf("\r\n\r\n") + 4)).length();
        String exact =
                TestSigner.sign(
                        MESSAGE, rsa, TestSigner.Options.of("example.com", "rsa").length(full));
        assertThat(first(exact).result()).isEqualTo(Result.PASS);
        String appended = exact + "Click http://evil.example/ now\r\n";
        DkimResult r = first(appended);
        assertThat(r.result()).isEqualTo(Result.POLICY);
        // The appended line, and the two empty lines before it, no longer trailing.
        assertThat(r.reason()).isEqualTo("l= leaves 36 octets of the body unsigned");
        String tooLong =
                TestSigner.sign(
                        MESSAGE,
                        rsa,
                        TestSigner.Options.of("example.com", "rsa").length(full + 10));
        assertThat(first(tooLong).result()).isEqualTo(Result.PERMERROR);
    }

    @Test
    void refusesWhatTheKeyRecordForbids() throws Exception {
        assertThat(first(sign("revoked")).reason()).isEqualTo("key revoked (empty p=)");
        assertThat(first(sign("nokey")))
                .extracting(DkimResult::result, DkimResult::reason)
                .containsExactly(Result.PERMERROR, "no key at nokey._domainkey.example.com");
        assertThat(first(sign("weak")).reason()).contains("at least 1024");
        assertThat(first(sign("sha1only")).reason()).contains("does not allow sha256");
        assertThat(first(sign("edtype")).reason()).contains("does not match a=rsa-sha256");
        String strict =
                TestSigner.sign(
                        MESSAGE,
                        rsa,
                        TestSigner.Options.of("example.com", "strict")
                                .identity("@news.example.com"));
        assertThat(first(strict).reason()).contains("t=s");
        DkimResult testing = first(sign("testing"));
        assertThat(testing.result()).isEqualTo(Result.PASS);
        assertThat(testing.testing()).isTrue();
    }

    private static String sign(String selector) throws Exception {
        KeyPair key = selector.equals("weak") ? weak : rsa;
        return TestSigner.sign(MESSAGE, key, TestSigner.Options.of("example.com", selector));
    }

    @Test
    void refusesWeakOrMalformedSignatures() throws Exception {
        String good = sign("rsa");
        assertThat(first(good.replaceFirst("a=rsa-sha256", "a=rsa-sha1")).reason())
                .isEqualTo("rsa-sha1 is not accepted (RFC 8301)");
        String expired =
                TestSigner.sign(
                        MESSAGE,
                        rsa,
                        TestSigner.Options.of("example.com", "rsa").extra("; t=1000; x=2000"));
        assertThat(first(expired).reason()).isEqualTo("signature expired");
        String foreignI =
                TestSigner.sign(
                        MESSAGE,
                        rsa,
                        TestSigner.Options.of("example.com", "rsa").identity("@example.net"));
        assertThat(first(foreignI).reason()).contains("is not in d=");
        assertThat(first(good.replaceFirst("h=from:to:subject", "h=to:subject")).reason())
                .isEqualTo("h= does not sign From");
        assertThat(first(good.replaceFirst("s=rsa", "s=rsa; s=rsa")).reason())
                .isEqualTo("malformed signature: tag 's' appears twice");
        assertThat(first(MESSAGE)).isEqualTo(DkimResult.none());
    }

    @Test
    void givesTemperrorWhenTheKeyCannotBeFetched() throws Exception {
        String signed = TestSigner.sign(MESSAGE, rsa, TestSigner.Options.of("broken.test", "sel"));
        DkimResult r = first(signed);
        assertThat(r.result()).isEqualTo(Result.TEMPERROR);
        try (SilentDnsServer silent = new SilentDnsServer()) {
            DkimVerifier slow =
                    verifierWith(new DnsClient(List.of(silent.address()), Duration.ofMillis(300)));
            DkimResult s = slow.verify(Bytes.of(sign("rsa"))::open).join().get(0);
            assertThat(s.result()).isEqualTo(Result.TEMPERROR);
            assertThat(s.reason()).contains("TIMEOUT");
        }
    }

    @Test
    void verifiesAtMostFiveSignaturesAndReportsTheRest() throws Exception {
        String signed = MESSAGE;
        for (int i = 0; i < 7; i++) {
            signed = TestSigner.sign(signed, ed, TestSigner.Options.of("example.com", "ed"));
        }
        List<DkimResult> results = verify(signed);
        assertThat(results).hasSize(6);
        assertThat(results.subList(0, 5)).allMatch(r -> r.result() == Result.PASS);
        assertThat(results.get(5).result()).isEqualTo(Result.NEUTRAL);
        assertThat(results.get(5).reason())
                .isEqualTo("2 more signatures not verified: at most 5 are");
    }

    @Test
    void refusesAHeaderBlockPastItsBound() {
        String huge = "X-Filler: " + "a".repeat(300 * 1024) + "\r\n" + MESSAGE;
        DkimResult r = first(huge);
        assertThat(r.result()).isEqualTo(Result.PERMERROR);
        assertThat(r.reason()).contains("header block over");
    }

    @Test
    void hashesALargeBodyAsItStreams() throws Exception {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 50_000; i++) {
            body.append("line ").append(i).append(" \t with  spaces \r\n");
        }
        String big = MESSAGE.replace("Hi Grace,", body + "Hi Grace,");
        String signed = TestSigner.sign(big, ed, TestSigner.Options.of("example.com", "ed"));
        assertThat(first(signed).result()).isEqualTo(Result.PASS);
    }
}
