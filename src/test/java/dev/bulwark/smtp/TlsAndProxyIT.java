package dev.bulwark.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.site.Cidr;
import dev.bulwark.site.Pem;
import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.RelayUnderTest;
import dev.bulwark.testing.SmtpWire;
import dev.bulwark.testing.TestFilter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** STARTTLS with a PEM certificate, and PROXY protocol v1/v2 from trusted balancers only. */
class TlsAndProxyIT {

    @TempDir static Path dir;

    static SSLContext serverTls;

    private RecordingNextHop nextHop;

    @BeforeAll
    static void makeCertificate() throws Exception {
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        Process p =
                new ProcessBuilder(
                                "openssl",
                                "req",
                                "-x509",
                                "-newkey",
                                "ec",
                                "-pkeyopt",
                                "ec_paramgen_curve:P-256",
                                "-nodes",
                                "-keyout",
                                key.toString(),
                                "-out",
                                cert.toString(),
                                "-days",
                                "2",
                                "-subj",
                                "/CN=relay.test")
                        .redirectErrorStream(true)
                        .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        serverTls = Pem.serverContext(cert, key);
    }

    @BeforeEach
    void start() {
        nextHop = new RecordingNextHop();
    }

    @AfterEach
    void stop() {
        nextHop.close();
    }

    /** Issue 11: a client that answers 220 Ready with silence held the session in the handshake. */
    @Test
    void aTlsHandshakeThatNeverStartsIsCutOffAtTheCommandTimeout() throws Exception {
        try (RelayUnderTest relay =
                        new RelayUnderTest(
                                TestFilter.relayingFor("example.com")
                                        .withLimits(
                                                dev.bulwark.check.Limits.defaults()
                                                        .withTimeouts(
                                                                Duration.ofMillis(500),
                                                                Duration.ofSeconds(5))),
                                nextHop.port(),
                                s -> s.withTls(serverTls),
                                c -> c);
                SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO client.example.org");
            c.expect("250 ");
            c.send("STARTTLS");
            c.expect("220 ");
            // No ClientHello: the server must give up by itself, well before the library's read
            // timeout (the command timeout plus 30 seconds) and before this client's own (15 s).
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void startsTlsAndDiscardsCommandsPipelinedBehindStarttls() throws Exception {
        try (RelayUnderTest relay =
                        new RelayUnderTest(
                                TestFilter.relayingFor("example.com"),
                                nextHop.port(),
                                s -> s.withTls(serverTls),
                                c -> c);
                Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress("127.0.0.1", relay.port()), 5000);
            plain.setSoTimeout(10_000);
            BufferedReader in =
                    new BufferedReader(
                            new InputStreamReader(
                                    plain.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = plain.getOutputStream();
            assertThat(in.readLine()).startsWith("220 ");
            out.write("EHLO client.example.org\r\n".getBytes(StandardCharsets.US_ASCII));
            String line;
            boolean offered = false;
            while ((line = in.readLine()).startsWith("250-")) {
                offered |= line.equals("250-STARTTLS");
            }
            assertThat(offered).isTrue();
            // The injected MAIL FROM travels in clear text in the same segment as STARTTLS.
            out.write(
                    "STARTTLS\r\nMAIL FROM:<injected@attacker.example>\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(in.readLine()).startsWith("220 2.0.0");
            SSLSocket tls =
                    (SSLSocket)
                            trustAll()
                                    .getSocketFactory()
                                    .createSocket(plain, "relay.test", relay.port(), true);
            tls.startHandshake();
            assertThat(tls.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
            BufferedReader tin =
                    new BufferedReader(
                            new InputStreamReader(tls.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream tout = tls.getOutputStream();
            // If the injected command had run, this RCPT would be accepted (or MAIL refused as
            // nested).
            tout.write("RCPT TO:<bob@example.com>\r\n".getBytes(StandardCharsets.US_ASCII));
            tout.flush();
            assertThat(tin.readLine()).startsWith("503 5.5.1");
            tout.write("EHLO client.example.org\r\n".getBytes(StandardCharsets.US_ASCII));
            List<String> ehlo = new java.util.ArrayList<>();
            while ((line = tin.readLine()).startsWith("250-")) {
                ehlo.add(line);
            }
            assertThat(ehlo).doesNotContain("250-STARTTLS");
            tout.write(
                    ("MAIL FROM:<alice@sender.example>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            assertThat(tin.readLine()).startsWith("250 2.1.0");
            assertThat(tin.readLine()).startsWith("250 2.1.5");
            assertThat(tin.readLine()).startsWith("354 ");
            tout.write(
                    "Subject: over tls\r\n\r\nsecret\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(tin.readLine()).startsWith("250 2.0.0");
        }
        RecordingNextHop.Delivery d = nextHop.await(1, 5000).get(0);
        assertThat(d.from()).isEqualTo("alice@sender.example");
        assertThat(d.text()).contains("with ESMTPS").contains("(using TLSv1.");
    }

    @Test
    void honoursProxyProtocolV1FromATrustedBalancer() throws Exception {
        try (RelayUnderTest relay = trusting("127.0.0.0/8");
                SmtpWire c = new SmtpWire(relay.port())) {
            c.raw("PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n");
            c.expect("220 ");
            c.envelope("alice@sender.example", "bob@example.com");
            c.raw("Subject: via balancer\r\n\r\nhi\r\n.\r\n");
            c.expect("250 ");
            assertThat(relay.audit())
                    .singleElement()
                    .satisfies(
                            a -> {
                                assertThat(a.client()).isEqualTo("203.0.113.7");
                                assertThat(a.balancer()).contains("127.0.0.1");
                            });
        }
        assertThat(nextHop.await(1, 5000).get(0).text()).contains("([203.0.113.7])");
    }

    @Test
    void honoursProxyProtocolV2FromATrustedBalancer() throws Exception {
        try (RelayUnderTest relay = trusting("127.0.0.1");
                SmtpWire c = new SmtpWire(relay.port())) {
            byte[] header = {
                0x0D,
                0x0A,
                0x0D,
                0x0A,
                0x00,
                0x0D,
                0x0A,
                0x51,
                0x55,
                0x49,
                0x54,
                0x0A,
                0x21,
                0x21,
                0x00,
                36,
                0x20,
                0x01,
                0x0d,
                (byte) 0xb8,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0x42,
                0x20,
                0x01,
                0x0d,
                (byte) 0xb8,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0x01,
                (byte) 0x9c,
                0x40,
                0x00,
                0x19
            };
            c.raw(header);
            c.expect("220 ");
            c.send("EHLO client.example.org");
            c.expect("250 ");
            c.send("QUIT");
            c.expect("221 ");
        }
    }

    @Test
    void refusesATrustedBalancerConnectionWithoutHeader() throws Exception {
        try (RelayUnderTest relay = trusting("127.0.0.1");
                SmtpWire c = new SmtpWire(relay.port())) {
            c.send("EHLO client.example.org");
            c.expect("421 4.7.0 ");
        }
    }

    @Test
    void ignoresProxyHeadersFromUntrustedClients() throws Exception {
        try (RelayUnderTest relay = trusting("192.0.2.0/24");
                SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("PROXY TCP4 203.0.113.7 192.0.2.1 40000 25");
            c.expect("500 5.5.1 ");
            c.envelope("alice@sender.example", "bob@example.com");
            c.raw("Subject: direct\r\n\r\nhi\r\n.\r\n");
            c.expect("250 ");
            assertThat(relay.audit())
                    .singleElement()
                    .satisfies(a -> assertThat(a.client()).isEqualTo("127.0.0.1"));
        }
    }

    private RelayUnderTest trusting(String cidr) {
        return new RelayUnderTest(
                TestFilter.relayingFor("example.com"),
                nextHop.port(),
                s -> s.withTrustedBalancers(List.of(Cidr.parse(cidr))),
                c -> c);
    }

    private static SSLContext trustAll() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(
                null,
                new TrustManager[] {
                    new X509TrustManager() {
                        @Override
                        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

                        @Override
                        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

                        @Override
                        public X509Certificate[] getAcceptedIssuers() {
                            return new X509Certificate[0];
                        }
                    }
                },
                null);
        return context;
    }
}
