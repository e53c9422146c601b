package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;

import dev.bulwark.ops.Metrics;
import dev.bulwark.ops.OpsServer;
import dev.bulwark.ops.Readiness;
import dev.bulwark.ops.VersionInfo;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** {@code bulwark fleet} against real operations listeners on loopback. */
class FleetCommandTest {

    private static final String DIGEST_A = "aa".repeat(32);
    private static final String DIGEST_B = "bb".repeat(32);

    private final List<AutoCloseable> started = new ArrayList<>();
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : started) {
            c.close();
        }
    }

    private String node(String version, String digest) {
        return node(version, digest, "unsigned");
    }

    private String node(String version, String digest, String signature) {
        VersionInfo info = new VersionInfo(version, "0123abc", digest, signature);
        OpsServer server =
                OpsServer.start(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        Metrics.create(info, () -> true),
                        Readiness.of(() -> true, () -> true),
                        info);
        started.add(server);
        return "127.0.0.1:" + server.address().getPort();
    }

    private int fleet(String... args) {
        return Cli.run(prepend("fleet", args), out, err);
    }

    private static String[] prepend(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    private String row(String node) {
        return out().lines().filter(l -> l.startsWith(node + " ")).findFirst().orElseThrow();
    }

    @Test
    void passesWhenEveryNodeRunsTheSameVersionAndPolicy() {
        String a = node("1.2.3", DIGEST_A);
        String b = node("1.2.3", DIGEST_A);

        int code = fleet(a, b);

        assertThat(code).isZero();
        assertThat(out().lines().findFirst())
                .get()
                .asString()
                .matches("NODE +VERSION +COMMIT +POLICY DIGEST +SIGNATURE +STATUS");
        assertThat(row(a)).contains("1.2.3", "0123abc", DIGEST_A, "unsigned").endsWith("ok");
        assertThat(row(b)).contains("1.2.3", DIGEST_A).endsWith("ok");
        assertThat(out()).contains("2 node(s) agree");
        assertThat(err()).isEmpty();
    }

    @Test
    void failsAndNamesBothNodesWhenTwoNodesRunDifferentPolicies() {
        String a = node("1.2.3", DIGEST_A);
        String b = node("1.2.3", DIGEST_B);

        int code = fleet(a, b);

        assertThat(code).isEqualTo(1);
        assertThat(row(a)).contains(DIGEST_A).endsWith("DRIFT: no majority agrees");
        assertThat(row(b)).contains(DIGEST_B).endsWith("DRIFT: no majority agrees");
        assertThat(err()).contains("2 of 2 node(s) failed or drifted: " + a + ", " + b);
    }

    @Test
    void namesOnlyTheOddNodeWhenAMajorityAgrees() {
        String a = node("1.2.3", DIGEST_A);
        String b = node("1.2.4", DIGEST_B);
        String c = node("1.2.3", DIGEST_A);

        int code = fleet(a, b, c);

        assertThat(code).isEqualTo(1);
        assertThat(row(a)).endsWith("ok");
        assertThat(row(c)).endsWith("ok");
        assertThat(row(b)).endsWith("DRIFT: version and policy digest differs from the majority");
        assertThat(err()).contains("1 of 3 node(s) failed or drifted: " + b);
    }

    private static final String SIGNED_A =
            "signed " + "1f".repeat(32) + " sig-sha256 " + "2e".repeat(32);
    private static final String SIGNED_B =
            "signed " + "1f".repeat(32) + " sig-sha256 " + "3d".repeat(32);

    @Test
    void reportsDriftWhenTwoNodesRunRuntimesWithDifferentSignatures() {
        // Same version, commit and policy: only the runtime's signature tells them apart.
        String a = node("1.2.3", DIGEST_A, SIGNED_A);
        String b = node("1.2.3", DIGEST_A, SIGNED_B);

        int code = fleet(a, b);

        assertThat(code).isEqualTo(1);
        assertThat(row(a)).contains(SIGNED_A).endsWith("DRIFT: no majority agrees");
        assertThat(row(b)).contains(SIGNED_B).endsWith("DRIFT: no majority agrees");
        assertThat(err()).contains("2 of 2 node(s) failed or drifted: " + a + ", " + b);
    }

    @Test
    void namesTheSignatureWhenOnlyItDiffersFromTheMajority() {
        String a = node("1.2.3", DIGEST_A, SIGNED_A);
        String b = node("1.2.3", DIGEST_A, "unsigned");
        String c = node("1.2.3", DIGEST_A, SIGNED_A);

        int code = fleet(a, b, c);

        assertThat(code).isEqualTo(1);
        assertThat(row(a)).endsWith("ok");
        assertThat(row(c)).endsWith("ok");
        assertThat(row(b)).endsWith("DRIFT: signature differs from the majority");
    }

    @Test
    void failsWhenANodeCannotBeReached() throws IOException {
        String a = node("1.2.3", DIGEST_A);
        String closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = "127.0.0.1:" + s.getLocalPort(); // nothing listens there once closed
        }

        int code = fleet(a, closed);

        assertThat(code).isEqualTo(1);
        assertThat(row(a)).endsWith("ok");
        assertThat(row(closed)).matches(".*-  +-  +-  +-  +ERROR: connection refused");
        assertThat(err()).contains("1 of 2 node(s) failed or drifted: " + closed);
    }

    @Test
    void givesUpOnANodeThatNeverAnswersWithinTheTimeout() throws IOException {
        // Accepts the connection (the backlog does) but never reads or answers.
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            String node = "127.0.0.1:" + silent.getLocalPort();

            int code = fleet("--timeout", "0.5", node);

            assertThat(code).isEqualTo(1);
            assertThat(row(node)).endsWith("ERROR: no answer within 0.5 s");
        }
    }

    @Test
    void failsWhenSomethingElseAnswersOnThePort() throws IOException {
        HttpServer other =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        other.createContext(
                "/",
                exchange -> {
                    byte[] body = "<html>hello</html>".getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                    exchange.close();
                });
        other.start();
        started.add(() -> other.stop(0));
        String node = "127.0.0.1:" + other.getAddress().getPort();

        int code = fleet(node);

        assertThat(code).isEqualTo(1);
        assertThat(row(node)).endsWith("ERROR: /version is not a Bulwark version document");
    }

    @Test
    void explainsUsageMistakesWithExitCodeTwo() {
        assertThat(fleet()).isEqualTo(2);
        assertThat(err()).startsWith("bulwark fleet: name at least one node as HOST:PORT");

        errBytes.reset();
        assertThat(fleet("node-without-port")).isEqualTo(2);
        assertThat(err())
                .startsWith(
                        "bulwark fleet: 'node-without-port' is not a valid node: write HOST:PORT");

        errBytes.reset();
        assertThat(fleet("host:99999")).isEqualTo(2);
        assertThat(err())
                .startsWith(
                        "bulwark fleet: 'host:99999' is not a valid node: port 99999 is not in"
                                + " 1..65535");

        errBytes.reset();
        assertThat(fleet("--timeout", "soon", "host:1")).isEqualTo(2);
        assertThat(err()).startsWith("bulwark fleet: 'soon' is not a valid --timeout");

        errBytes.reset();
        assertThat(fleet("--verbose", "host:1")).isEqualTo(2);
        assertThat(err()).startsWith("bulwark fleet: Unknown option: '--verbose'");
    }

    @Test
    void acceptsIpv6NodesInBrackets() {
        assertThat(FleetCommand.checkNode("[::1]:9100")).isEmpty();
        assertThat(FleetCommand.checkNode("::1:9100")).isPresent();
    }
}
