package dev.bulwark.audit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

class AuditChainTest {

    @TempDir Path dir;

    private final Clock clock = Clock.fixed(Instant.parse("2026-12-03T10:00:00Z"), ZoneOffset.UTC);

    private static AuditChain.Genesis genesis(String run) {
        return new AuditChain.Genesis(
                "boot-1", run, "1.2.3", "abc123", Optional.of("cd".repeat(32)), "ab".repeat(32));
    }

    private static AuditRecord record(String to) {
        return Records.transaction(
                AuditVerdict.ACCEPT,
                "250 2.0.0 Ok",
                List.of(),
                List.of(Records.accepted(to)),
                Optional.empty());
    }

    private static String sha256(String line) throws Exception {
        return HexFormat.of()
                .formatHex(
                        MessageDigest.getInstance("SHA-256")
                                .digest(line.getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes a chain of a genesis and {@code n} records to {@code file}; returns the chain. */
    private AuditChain chain(Path file, String run, int n) throws IOException {
        AuditFile out = AuditFile.open(file);
        AuditChain chain = AuditChain.start(genesis(run), clock, List.of(out));
        for (int i = 0; i < n; i++) {
            chain.record(record("r" + i + "@example.com"));
        }
        out.close();
        return chain;
    }

    private static List<String> lines(Path file) throws IOException {
        return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    private static void write(Path file, List<String> lines) throws IOException {
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    private ChainVerifier.Result verify(Path... files) {
        return ChainVerifier.verify(List.of(files), Optional.empty());
    }

    @Test
    void eachLineCarriesTheHashOfTheLineBeforeStartingFromAGenesisLine() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AuditChain chain = chain(file, "run-1", 2);

        List<String> lines = lines(file);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0))
                .startsWith("{\"seq\":0,\"prev\":\"" + AuditChain.ZERO + "\",")
                .contains("\"kind\":\"genesis\"", "\"boot\":\"boot-1\"", "\"run\":\"run-1\"")
                .contains("\"version\":\"1.2.3\"", "\"manifest\":\"" + "cd".repeat(32) + "\"")
                .contains("\"policy\":\"" + "ab".repeat(32) + "\"");
        assertThat(lines.get(1))
                .startsWith("{\"seq\":1,\"prev\":\"" + sha256(lines.get(0)) + "\",");
        assertThat(lines.get(2))
                .startsWith("{\"seq\":2,\"prev\":\"" + sha256(lines.get(1)) + "\",");
        assertThat(chain.head()).isEqualTo(new AuditChain.Head(3, sha256(lines.get(2))));
        assertThat(verify(file).ok()).isTrue();
    }

    @Test
    void everyDestinationGetsTheSameLines() throws IOException {
        ByteArrayOutputStream journal = new ByteArrayOutputStream();
        Path file = dir.resolve("audit.jsonl");
        try (AuditFile out = AuditFile.open(file)) {
            AuditChain chain =
                    AuditChain.start(
                            genesis("run-1"), clock, List.of(new JsonAuditLog(journal), out));
            chain.record(record("a@example.com"));
            chain.event("integrity", Map.of("ok", "false"));
        }
        assertThat(journal.toString(StandardCharsets.UTF_8)).isEqualTo(Files.readString(file));
        assertThat(lines(file).get(2)).contains("\"kind\":\"integrity\",\"ok\":\"false\"}");
    }

    @Test
    void verifyNamesARemovedLine() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        chain(file, "run-1", 5);
        List<String> lines = lines(file);
        lines.remove(3);
        write(file, lines);

        ChainVerifier.Result r = verify(file);
        assertThat(r.error())
                .hasValue(
                        file
                                + ":4: error: record 4 where record 3 belongs: 1 record(s) before"
                                + " it were removed");
    }

    @Test
    void verifyNamesReorderedLines() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        chain(file, "run-1", 5);
        List<String> lines = lines(file);
        lines.add(2, lines.remove(3));
        write(file, lines);

        assertThat(verify(file).error().orElseThrow())
                .startsWith(file + ":3: error: record 3 where record 2 belongs");
    }

    @Test
    void verifyNamesTheLineAfterAnAlteredOne() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        chain(file, "run-1", 5);
        List<String> lines = lines(file);
        lines.set(2, lines.get(2).replace("\"verdict\":\"accept\"", "\"verdict\":\"reject\""));
        write(file, lines);

        assertThat(verify(file).error().orElseThrow())
                .startsWith(file + ":4: error: prev ")
                .contains("is not the SHA-256 of the line before it (" + file + ":3, ")
                .endsWith("that line was altered, or this one's prev was");
    }

    @Test
    void verifyNamesALineThatIsNotJson() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        chain(file, "run-1", 3);
        List<String> lines = lines(file);
        lines.set(1, lines.get(1).substring(0, 40));
        write(file, lines);

        assertThat(verify(file).error().orElseThrow())
                .startsWith(file + ":2: error: not a JSON record (");
    }

    @Test
    void verifyRefusesAFileWhoseFirstLinesAreMissing() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        chain(file, "run-1", 3);
        List<String> lines = lines(file);
        lines.remove(0);
        write(file, lines);

        assertThat(verify(file).error().orElseThrow())
                .startsWith(file + ":1: error: record 1 has no genesis line before it");
    }

    @Test
    void verifyAcceptsSeveralRunsInOneFile() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        chain(file, "run-1", 2);
        chain(file, "run-2", 4);

        ChainVerifier.Result r = verify(file);
        assertThat(r.ok()).isTrue();
        assertThat(r.chains())
                .extracting(ChainVerifier.Chain::run, ChainVerifier.Chain::records)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("run-1", 3L),
                        org.assertj.core.groups.Tuple.tuple("run-2", 5L));
        assertThat(r.chains().get(1).start()).isEqualTo(file + ":4");
    }

    @Test
    void rotationContinuesTheChainInTheNewFile() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        Path rotated = dir.resolve("audit.jsonl.1");
        try (AuditFile out = AuditFile.open(file)) {
            AuditChain chain = AuditChain.start(genesis("run-1"), clock, List.of(out));
            chain.record(record("a@example.com"));
            Files.move(file, rotated); // what logrotate does before it signals the node
            chain.reopen();
            chain.record(record("b@example.com"));
            chain.record(record("c@example.com"));
            assertThat(chain.head().records()).isEqualTo(4);
        }

        assertThat(lines(rotated)).hasSize(2);
        assertThat(lines(file)).hasSize(2);
        assertThat(verify(rotated, file).ok()).isTrue();
        assertThat(verify(rotated, file).chains()).hasSize(1);
        // Alone, the new file lacks the start of its chain; in the wrong order it breaks too.
        assertThat(verify(file).error().orElseThrow()).startsWith(file + ":1: error: record 2 ");
        assertThat(verify(file, rotated).ok()).isFalse();
    }

    @Test
    void anAnchoredHeadCatchesLinesCutFromTheEnd() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        AuditChain chain = chain(file, "run-1", 4);
        String anchored = chain.head().hash();
        assertThat(ChainVerifier.verify(List.of(file), Optional.of(anchored)).ok()).isTrue();

        List<String> lines = lines(file);
        write(file, lines.subList(0, lines.size() - 1));

        assertThat(verify(file).ok()).isTrue(); // the chain alone cannot tell
        assertThat(ChainVerifier.verify(List.of(file), Optional.of(anchored)).error())
                .hasValueSatisfying(
                        e ->
                                assertThat(e)
                                        .startsWith(
                                                "error: no line has the anchored head "
                                                        + anchored));
    }

    @Test
    void theCommandPrintsEachChainAndExitsOneOnABadLine() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        chain(file, "run-1", 2);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int ok =
                ChainVerifier.run(
                        List.of(file),
                        Optional.empty(),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(ok).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("chain from " + file + ":1 (boot boot-1, run run-1): 3 records, head ")
                .contains("ok: 3 records in 1 chain(s)");

        List<String> lines = lines(file);
        lines.set(1, lines.get(1).replace("r0@", "x0@"));
        write(file, lines);
        int bad =
                ChainVerifier.run(
                        List.of(file),
                        Optional.empty(),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(bad).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith(file + ":3: error: prev ");
    }

    @Test
    void theBootIdComesFromTheKernelOrIsRandom() throws IOException {
        Path id = dir.resolve("boot_id");
        Files.writeString(id, "6f1c2e4a-0000-4000-8000-000000000001\n");
        assertThat(AuditChain.bootId(id)).isEqualTo("6f1c2e4a-0000-4000-8000-000000000001");
        assertThat(AuditChain.bootId(dir.resolve("absent"))).startsWith("random-");
    }
}
