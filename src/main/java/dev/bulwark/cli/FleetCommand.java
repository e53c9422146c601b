package dev.bulwark.cli;

import dev.bulwark.ops.VersionInfo;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code bulwark fleet [--timeout SECONDS] HOST:PORT...}: asks every node's operations listener for
 * {@code /version}, prints one table row per node, and exits 0 only when every node answered and
 * all run the same version, commit, policy digest and runtime signature (signing key and the digest
 * of the manifest's signature, so a runtime re-signed or rebuilt under the same version and commit
 * is drift too). Otherwise it names the odd nodes: those that differ from the majority, or every
 * node when there is no majority.
 */
@Command(
        name = "fleet",
        header = "Compares the version and policy every node of a fleet runs.",
        description =
                "Asks each node's operations listener (site setting metrics.listen) for /version,"
                        + " prints one row per node, and names the nodes that differ from the"
                        + " majority (every node when there is none).",
        exitCodeList = {
            "0:every node answered, all with the same version, commit, policy digest and signature",
            "1:a node did not answer, or the nodes differ",
            "2:usage error"
        })
public final class FleetCommand implements Cli.Action {

    static final int AGREE = 0;
    static final int DRIFT = 1;

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    @Spec private CommandSpec spec;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            description = "how long to wait for each node (default: 5)")
    private String timeout;

    @Parameters(
            paramLabel = "HOST:PORT",
            arity = "0..*",
            description = "the nodes' operations listeners; IPv6 as [ADDRESS]:PORT")
    private List<String> nodes = new ArrayList<>();

    /** One node's answer: what it runs, or why it could not say. */
    record Answer(String node, Optional<VersionInfo> version, Optional<String> error) {

        /** The identity nodes must share; two nodes agree when these are equal. */
        Optional<List<String>> identity() {
            return version.map(
                    v -> List.of(v.version(), v.commit(), v.policyDigest(), v.signature()));
        }
    }

    @Override
    public int run(PrintStream out, PrintStream err) {
        Duration wait = DEFAULT_TIMEOUT;
        if (timeout != null) {
            wait =
                    seconds(timeout)
                            .orElseThrow(
                                    () ->
                                            usage(
                                                    "'"
                                                            + timeout
                                                            + "' is not a valid --timeout: give a"
                                                            + " positive number of seconds"));
        }
        for (String node : nodes) {
            Optional<String> problem = checkNode(node);
            if (problem.isPresent()) {
                throw usage(problem.get());
            }
        }
        if (nodes.isEmpty()) {
            throw usage("name at least one node as HOST:PORT (the node's metrics.listen address)");
        }
        List<Answer> answers = ask(nodes, wait);
        return report(answers, out, err);
    }

    private ParameterException usage(String problem) {
        return new ParameterException(spec.commandLine(), problem);
    }

    private static Optional<Duration> seconds(String text) {
        try {
            double s = Double.parseDouble(text);
            if (!(s > 0) || s > 3600) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofMillis((long) Math.ceil(s * 1000)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Empty if {@code node} is HOST:PORT (IPv6 hosts in brackets), otherwise what is wrong. */
    static Optional<String> checkNode(String node) {
        int colon = node.lastIndexOf(':');
        String host = colon < 0 ? "" : node.substring(0, colon);
        String port = colon < 0 ? "" : node.substring(colon + 1);
        boolean bracketed = host.startsWith("[") && host.endsWith("]");
        if (host.isEmpty() || port.isEmpty() || (host.contains(":") && !bracketed)) {
            return Optional.of(
                    "'" + node + "' is not a valid node: write HOST:PORT, IPv6 as [ADDRESS]:PORT");
        }
        try {
            int p = Integer.parseInt(port);
            if (p < 1 || p > 65535) {
                return Optional.of(
                        "'" + node + "' is not a valid node: port " + port + " is not in 1..65535");
            }
        } catch (NumberFormatException e) {
            return Optional.of(
                    "'" + node + "' is not a valid node: port '" + port + "' is not a number");
        }
        try {
            URI.create("http://" + node + "/version");
        } catch (IllegalArgumentException e) {
            return Optional.of("'" + node + "' is not a valid node: " + e.getMessage());
        }
        return Optional.empty();
    }

    /** The most of a /version answer we read; a real one is a few hundred octets. */
    private static final int MAX_BODY = 64 * 1024;

    /**
     * Asks every node at once, each on its own virtual thread. Connecting and each read are bounded
     * by {@code timeout}; a node that trickles its answer is cut off at twice that.
     */
    static List<Answer> ask(List<String> nodes, Duration timeout) {
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Answer>> pending = new ArrayList<>();
            for (String node : nodes) {
                pending.add(executor.submit(() -> ask(node, timeout)));
            }
            long deadline = System.nanoTime() + timeout.multipliedBy(2).toNanos();
            List<Answer> answers = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                Future<Answer> f = pending.get(i);
                try {
                    answers.add(
                            f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                } catch (TimeoutException e) {
                    f.cancel(true);
                    answers.add(
                            failed(
                                    nodes.get(i),
                                    "no complete answer within "
                                            + seconds(timeout.multipliedBy(2))));
                } catch (ExecutionException e) {
                    answers.add(failed(nodes.get(i), e.getCause().toString()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    answers.add(failed(nodes.get(i), "interrupted"));
                }
            }
            executor.shutdownNow();
            return answers;
        }
    }

    private static Answer ask(String node, Duration timeout) {
        // HttpURLConnection (java.base) rather than java.net.http: one JDK module less in the
        // image.
        HttpURLConnection http;
        try {
            http =
                    (HttpURLConnection)
                            URI.create("http://" + node + "/version").toURL().openConnection();
        } catch (IOException e) {
            return failed(node, reason(e));
        }
        http.setConnectTimeout((int) timeout.toMillis());
        http.setReadTimeout((int) timeout.toMillis());
        http.setInstanceFollowRedirects(false);
        http.setUseCaches(false);
        http.setRequestProperty("Accept", "application/json");
        boolean connected = false;
        try {
            http.connect();
            connected = true;
            int status = http.getResponseCode();
            if (status != 200) {
                return failed(node, "HTTP " + status + " from /version");
            }
            String body;
            try (InputStream in = http.getInputStream()) {
                body = new String(in.readNBytes(MAX_BODY), StandardCharsets.UTF_8);
            }
            Optional<VersionInfo> v = VersionInfo.parse(body);
            if (v.isEmpty()) {
                return failed(node, "/version is not a Bulwark version document");
            }
            return new Answer(node, v, Optional.empty());
        } catch (SocketTimeoutException e) {
            return failed(
                    node,
                    (connected ? "no answer" : "no connection") + " within " + seconds(timeout));
        } catch (ConnectException e) {
            return failed(node, "connection refused");
        } catch (UnknownHostException e) {
            return failed(node, "unknown host " + e.getMessage());
        } catch (IOException e) {
            return failed(node, reason(e));
        } finally {
            http.disconnect();
        }
    }

    private static String reason(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String seconds(Duration d) {
        return (d.toMillis() % 1000 == 0
                        ? Long.toString(d.toSeconds())
                        : Double.toString(d.toMillis() / 1000.0))
                + " s";
    }

    private static Answer failed(String node, String error) {
        return new Answer(node, Optional.empty(), Optional.of(error));
    }

    /** Prints the table, then a verdict line; returns the exit code. */
    static int report(List<Answer> answers, PrintStream out, PrintStream err) {
        // The identity of more than half of the nodes that answered, if there is one.
        Map<List<String>, Integer> counts = new LinkedHashMap<>();
        int answered = 0;
        for (Answer a : answers) {
            if (a.identity().isPresent()) {
                counts.merge(a.identity().get(), 1, Integer::sum);
                answered++;
            }
        }
        int quorum = answered;
        Optional<List<String>> majority =
                counts.entrySet().stream()
                        .filter(e -> e.getValue() * 2 > quorum)
                        .map(Map.Entry::getKey)
                        .findFirst();
        List<String[]> rows = new ArrayList<>();
        rows.add(
                new String[] {"NODE", "VERSION", "COMMIT", "POLICY DIGEST", "SIGNATURE", "STATUS"});
        List<String> odd = new ArrayList<>();
        for (Answer a : answers) {
            String status;
            if (a.error().isPresent()) {
                status = "ERROR: " + a.error().get();
                odd.add(a.node());
            } else if (counts.size() == 1 || majority.equals(a.identity())) {
                status = "ok";
            } else {
                status =
                        "DRIFT: "
                                + (majority.isPresent()
                                        ? differences(a.identity().orElseThrow(), majority.get())
                                                + " differs from the majority"
                                        : "no majority agrees");
                odd.add(a.node());
            }
            rows.add(
                    new String[] {
                        a.node(),
                        a.version().map(VersionInfo::version).orElse("-"),
                        a.version().map(VersionInfo::commit).orElse("-"),
                        a.version().map(VersionInfo::policyDigest).orElse("-"),
                        a.version().map(VersionInfo::signature).orElse("-"),
                        status,
                    });
        }
        printTable(rows, out);
        if (odd.isEmpty()) {
            out.println(answers.size() + " node(s) agree");
            return AGREE;
        }
        err.println(
                "bulwark fleet: "
                        + odd.size()
                        + " of "
                        + answers.size()
                        + " node(s) failed or drifted: "
                        + String.join(", ", odd));
        return DRIFT;
    }

    private static String differences(List<String> id, List<String> majority) {
        List<String> names = List.of("version", "commit", "policy digest", "signature");
        List<String> differ = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            if (!id.get(i).equals(majority.get(i))) {
                differ.add(names.get(i));
            }
        }
        return String.join(" and ", differ);
    }

    private static void printTable(List<String[]> rows, PrintStream out) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int c = 0; c < columns; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                line.append(row[c]);
                if (c < columns - 1) {
                    line.append(" ".repeat(width[c] - row[c].length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
