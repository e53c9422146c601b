package dev.bulwark.site;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

class SiteCheckTest {

    /** The table the image's loader is tested with on the host (image/test/test-site-load.sh). */
    private static final Path IMAGE_TABLE = Path.of("image/test/site-load");

    private static final Optional<SiteCheck.Image> IMAGE = Optional.of(SiteCheck.Image.DEFAULT);

    @TempDir static Path keys;

    @TempDir Path dir;

    @BeforeAll
    static void makeCertificate() throws Exception {
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
                                "-days",
                                "2",
                                "-subj",
                                "/CN=site-check.test",
                                "-keyout",
                                keys.resolve("tls.key").toString(),
                                "-out",
                                keys.resolve("tls.crt").toString())
                        .redirectErrorStream(true)
                        .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
    }

    /** A seed's bulwark/ directory: the certificate, its key, a file that is not PEM. */
    private Path seed(String name, String siteConf) throws IOException {
        Path seed = Files.createDirectories(dir.resolve(name).resolve("bulwark"));
        Files.copy(keys.resolve("tls.crt"), seed.resolve("tls.crt"));
        Files.copy(keys.resolve("tls.key"), seed.resolve("tls.key"));
        Files.writeString(seed.resolve("tls-bad.crt"), "not a certificate\n");
        Path file = seed.resolve("site.conf");
        Files.writeString(file, siteConf);
        return file;
    }

    /** Diagnostics with the file named as the loader names it, site.conf. */
    private static List<String> named(Path file, List<String> problems) {
        return problems.stream().map(l -> l.replace(file.toString(), "site.conf")).toList();
    }

    @TestFactory
    Stream<DynamicTest> imageRulesGiveTheLoadersTableItsExactDiagnostics() throws IOException {
        List<Path> cases;
        try (Stream<Path> s = Files.list(IMAGE_TABLE)) {
            cases = s.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
        }
        assertThat(cases).hasSizeGreaterThan(5);
        return cases.stream()
                .map(
                        conf ->
                                DynamicTest.dynamicTest(
                                        conf.getFileName().toString(),
                                        () -> {
                                            String name =
                                                    conf.getFileName()
                                                            .toString()
                                                            .replace(".conf", "");
                                            Path file = seed(name, Files.readString(conf));
                                            List<String> expected =
                                                    Files.readAllLines(
                                                                    IMAGE_TABLE.resolve(
                                                                            name + ".expected"))
                                                            .stream()
                                                            .filter(l -> l.startsWith("site.conf"))
                                                            .toList();

                                            List<String> problems =
                                                    SiteCheck.check(
                                                            file, IMAGE, Map.of("BULWARK_X", "1"));

                                            assertThat(named(file, problems))
                                                    .containsExactlyElementsOf(expected);
                                        }));
    }

    @Test
    void acceptsNextHopMaxConnectionsWhichTheReadmeDocuments() throws IOException {
        Path file = seed("max", "next-hop = mail.internal:25\nnext-hop.max-connections = 200\n");

        assertThat(SiteCheck.check(file, Optional.empty(), Map.of())).isEmpty();
        assertThat(SiteCheck.check(file, IMAGE, Map.of())).isEmpty();
    }

    @Test
    void namesTheBadResolverAddressAndDnsTimesByLine() throws IOException {
        Path file =
                seed(
                        "dns",
                        "next-hop = mail.internal:25\n"
                                + "dns.servers = 192.0.2.53, resolver.example:53\n"
                                + "dns.timeout = 0\n"
                                + "dns.budget = soon\n");

        assertThat(named(file, SiteCheck.check(file, Optional.empty(), Map.of())))
                .containsExactly(
                        "site.conf:2: error: invalid value '192.0.2.53, resolver.example:53' for"
                                + " 'dns.servers': expected IP addresses of resolvers, separated"
                                + " by commas ('resolver.example:53' is not a resolver address:"
                                + " 'resolver.example' is not an IP address)",
                        "site.conf:3: error: invalid value '0' for 'dns.timeout': expected a"
                                + " positive whole number",
                        "site.conf:4: error: invalid value 'soon' for 'dns.budget': expected a"
                                + " positive whole number");
    }

    @Test
    void acceptsResolversWithPorts() throws IOException {
        Path file =
                seed(
                        "dns-ok",
                        "next-hop = mail.internal:25\n"
                                + "dns.servers = 192.0.2.53:5353, [2001:db8::53]:53\n"
                                + "dns.timeout = 1500\n");

        assertThat(SiteCheck.check(file, Optional.empty(), Map.of())).isEmpty();
    }

    @Test
    void checksTheEnvironmentAsServeWouldUnlessForTheImage() throws IOException {
        Path file = seed("env", "next-hop = mail.internal:25\n");
        Map<String, String> environment = Map.of("BULWARK_LISTEN", "0.0.0.0:99999");

        assertThat(SiteCheck.check(file, Optional.empty(), environment))
                .containsExactly(
                        "environment variable BULWARK_LISTEN: error: invalid value"
                                + " '0.0.0.0:99999' for 'listen': expected host:port, such as"
                                + " mail.internal:25");
        assertThat(SiteCheck.check(file, IMAGE, environment)).isEmpty();
    }

    @Test
    void opensTheTlsFilesAsTheNodeWouldAtTheirOwnPaths() throws IOException {
        Path good =
                seed(
                        "tls",
                        "next-hop = mail.internal:25\ntls.cert = "
                                + keys.resolve("tls.crt")
                                + "\ntls.key = "
                                + keys.resolve("tls.key")
                                + "\n");
        assertThat(SiteCheck.check(good, Optional.empty(), Map.of())).isEmpty();

        Path swapped =
                seed(
                        "swapped",
                        "next-hop = mail.internal:25\ntls.cert = "
                                + keys.resolve("tls.key")
                                + "\ntls.key = "
                                + keys.resolve("tls.crt")
                                + "\n");
        assertThat(SiteCheck.check(swapped, Optional.empty(), Map.of()))
                .singleElement()
                .asString()
                .startsWith(swapped + ":2: error: cannot use 'tls.cert' " + keys.resolve("tls.key"))
                .contains("for STARTTLS: ");
    }

    @Test
    void refusesALineWithControlCharacters() throws IOException {
        Path file = seed("control", "next-hop = mail.internal:25\nhostname = mx\u001b[2J.test\n");

        assertThat(named(file, SiteCheck.check(file, Optional.empty(), Map.of())))
                .containsExactly("site.conf:2: error: line contains control characters");
    }

    @Test
    void refusesASeedFileLargerThanOneMebibyteForTheImage() throws IOException {
        Path file =
                seed(
                        "large",
                        "next-hop = 10.0.0.25:25\nnext-hop.tls = required\n"
                                + "next-hop.ca = /run/bulwark/ca.pem\n");
        byte[] pem = Files.readAllBytes(keys.resolve("tls.crt"));
        byte[] large = new byte[(int) ImageRules.MAX_FILE_BYTES + 1];
        java.util.Arrays.fill(large, (byte) '\n');
        System.arraycopy(pem, 0, large, 0, pem.length);
        Files.write(file.resolveSibling("ca.pem"), large);

        assertThat(named(file, SiteCheck.check(file, IMAGE, Map.of())))
                .containsExactly(
                        "site.conf:3: error: invalid value '/run/bulwark/ca.pem' for"
                                + " 'next-hop.ca': bulwark/ca.pem is 1048577 bytes, more than the"
                                + " 1048576 a seed file may have");
    }

    @Test
    void followsTheReleasesMetricsPort() throws IOException {
        Path file = seed("port", "next-hop = 10.0.0.25:25\nmetrics.listen = 0.0.0.0:9100\n");

        assertThat(SiteCheck.check(file, Optional.of(new SiteCheck.Image(25, 9100)), Map.of()))
                .isEmpty();
        assertThat(named(file, SiteCheck.check(file, IMAGE, Map.of())))
                .containsExactly(
                        "site.conf:2: error: invalid value '0.0.0.0:9100' for 'metrics.listen':"
                                + " expected port 9025, the metrics port the image's firewall"
                                + " opens (such as 0.0.0.0:9025)");
    }

    @Test
    void namesAFileThatCannotBeRead() {
        Path missing = dir.resolve("nowhere.conf");

        assertThat(SiteCheck.check(missing, Optional.empty(), Map.of()))
                .contains(missing + ": error: cannot read site settings: no such file");
    }
}
