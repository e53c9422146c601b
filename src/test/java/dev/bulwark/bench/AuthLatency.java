package dev.bulwark.bench;

import dev.bulwark.auth.DkimResult;
import dev.bulwark.auth.PublicSuffixList;
import dev.bulwark.auth.SpfResult;
import dev.bulwark.auth.dkim.DkimVerifier;
import dev.bulwark.auth.dkim.TestSigner;
import dev.bulwark.auth.dmarc.DmarcEvaluator;
import dev.bulwark.auth.dnsbl.DnsListChecker;
import dev.bulwark.auth.spf.SpfEvaluator;
import dev.bulwark.check.Message;
import dev.bulwark.dns.CachingResolver;
import dev.bulwark.dns.DnsClient;
import dev.bulwark.dns.DnsResolver;
import dev.bulwark.testing.NsdServer;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.IntConsumer;

/**
 * Latency of one SPF, DKIM, DMARC and DNSBL evaluation against a local authoritative DNS server
 * (nsd on loopback), without a cache (every lookup goes to the server) and with the TTL cache warm.
 * Prints p50, p99 and the maximum per kind, in milliseconds.
 *
 * <pre>src/bench/auth-latency.sh [ITERATIONS]</pre>
 */
public final class AuthLatency {

    private AuthLatency() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair rsa = g.generateKeyPair();
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        String rsaP = Base64.getEncoder().encodeToString(rsa.getPublic().getEncoded());
        byte[] spki = ed.getPublic().getEncoded();
        String edP =
                Base64.getEncoder()
                        .encodeToString(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
        try (NsdServer nsd =
                NsdServer.start(
                        new NsdServer.Zones()
                                .zone(
                                        "example.com",
                                        // a typical record: an include, mx and a (4 lookups, 2 MX
                                        // hosts)
                                        "@ TXT \"v=spf1 include:_spf.example.com mx a ~all\"",
                                        "_spf TXT \"v=spf1 ip4:198.51.100.0/24 ip4:192.0.2.0/24"
                                                + " -all\"",
                                        "@ MX 10 mx1",
                                        "@ MX 20 mx2",
                                        "@ A 203.0.113.1",
                                        "mx1 A 203.0.113.2",
                                        "mx2 A 203.0.113.3",
                                        "_dmarc TXT \"v=DMARC1; p=reject; adkim=r; aspf=r\"",
                                        "rsa._domainkey TXT " + txt("v=DKIM1; k=rsa; p=" + rsaP),
                                        "ed._domainkey TXT \"v=DKIM1; k=ed25519; p=" + edP + "\"")
                                .zone("bl.test", "10.2.0.192 A 127.0.0.2"))) {
            PublicSuffixList psl =
                    PublicSuffixList.read(Path.of("policy/psl/public_suffix_list.dat"));
            StringBuilder body = new StringBuilder();
            for (int i = 0; i < 60; i++) {
                body.append("A line of an ordinary message body, about seventy octets long.\r\n");
            }
            String message =
                    "From: Ada <ada@example.com>\r\nTo: bob@example.org\r\nSubject: Hello\r\n"
                            + "Message-ID: <m1@example.com>\r\n\r\n"
                            + body;
            String rsaSigned =
                    TestSigner.sign(message, rsa, TestSigner.Options.of("example.com", "rsa"));
            String edSigned =
                    TestSigner.sign(message, ed, TestSigner.Options.of("example.com", "ed"));
            InetAddress client = InetAddress.ofLiteral("192.0.2.10");
            DnsClient live = new DnsClient(List.of(nsd.address()), Duration.ofSeconds(2));
            System.out.printf(
                    Locale.ROOT, "%d evaluations each, nsd on loopback; milliseconds%n", n);
            System.out.printf(
                    Locale.ROOT, "%-30s %8s %8s %8s%n", "evaluation", "p50", "p99", "max");
            for (boolean cached : new boolean[] {false, true}) {
                DnsResolver dns =
                        cached
                                ? new CachingResolver(
                                        live, Clock.systemUTC(), 10_000, Duration.ofHours(1))
                                : live;
                String mode = cached ? " (cache warm)" : " (no cache)";
                SpfEvaluator spf =
                        new SpfEvaluator(
                                dns,
                                Clock.systemUTC(),
                                Duration.ofSeconds(5),
                                "mx.bulwark.example");
                DkimVerifier dkim =
                        new DkimVerifier(dns, Clock.systemUTC(), DkimVerifier.Limits.DEFAULT);
                DmarcEvaluator dmarc = new DmarcEvaluator(dns, psl);
                DnsListChecker lists = new DnsListChecker(dns, psl);
                Message rsaMessage = bytes(rsaSigned);
                Message edMessage = bytes(edSigned);
                run(
                        "spf mail from" + mode,
                        n,
                        i -> {
                            SpfResult r =
                                    spf.checkMailFrom(client, "h.example.net", "u@example.com")
                                            .join();
                            check(r.result() == SpfResult.Result.PASS, r);
                        });
                run(
                        "dkim rsa-2048" + mode,
                        n,
                        i ->
                                check(
                                        dkim.verify(rsaMessage::open).join().get(0).result()
                                                == DkimResult.Result.PASS));
                run(
                        "dkim ed25519" + mode,
                        n,
                        i ->
                                check(
                                        dkim.verify(edMessage::open).join().get(0).result()
                                                == DkimResult.Result.PASS));
                run(
                        "dmarc" + mode,
                        n,
                        i ->
                                check(
                                        dmarc.evaluate(
                                                                edMessage::open,
                                                                Optional.empty(),
                                                                List.of(
                                                                        new DkimResult(
                                                                                DkimResult.Result
                                                                                        .PASS,
                                                                                "example.com",
                                                                                "ed",
                                                                                "ed25519-sha256",
                                                                                "x",
                                                                                "",
                                                                                false)))
                                                        .join()
                                                        .result()
                                                == dev.bulwark.auth.DmarcResult.Result.PASS));
                run(
                        "dnsbl (1 zone)" + mode,
                        n,
                        i ->
                                check(
                                        lists.checkClient(client, List.of("bl.test"))
                                                .join()
                                                .get(0)
                                                .listed()));
                run(
                        "all, one message" + mode,
                        n,
                        i -> {
                            var s = spf.checkMailFrom(client, "h.example.net", "u@example.com");
                            var b = lists.checkClient(client, List.of("bl.test"));
                            var k = dkim.verify(edMessage::open);
                            var d = dmarc.discover("example.com");
                            List<DkimResult> ks = k.join();
                            SpfResult sr = s.join();
                            check(
                                    dmarc.decide(d.join(), Optional.of(sr), ks, "<m1@example.com>")
                                                    .result()
                                            == dev.bulwark.auth.DmarcResult.Result.PASS);
                            b.join();
                        });
            }
        }
    }

    private static void check(boolean ok, Object what) {
        if (!ok) {
            throw new IllegalStateException("unexpected result: " + what);
        }
    }

    private static void check(boolean ok) {
        if (!ok) {
            throw new IllegalStateException("unexpected result");
        }
    }

    private static void run(String name, int n, IntConsumer body) {
        for (int i = 0; i < Math.min(500, n); i++) {
            body.accept(i); // warm-up: JIT and the cache
        }
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            body.accept(i);
            t[i] = System.nanoTime() - start;
        }
        Arrays.sort(t);
        System.out.printf(
                Locale.ROOT,
                "%-30s %8.3f %8.3f %8.3f%n",
                name,
                t[n / 2] / 1e6,
                t[(int) Math.min(n - 1, Math.ceil(n * 0.99) - 1)] / 1e6,
                t[n - 1] / 1e6);
    }

    private static String txt(String value) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < value.length(); i += 200) {
            sb.append(" \"").append(value, i, Math.min(value.length(), i + 200)).append('"');
        }
        return sb.toString().strip();
    }

    private static Message bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return new Message() {
            @Override
            public long size() {
                return b.length;
            }

            @Override
            public InputStream open() {
                return new ByteArrayInputStream(b);
            }
        };
    }
}
