package dev.bulwark.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

class AuditFileTest {

    @TempDir Path dir;

    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    private static AuditRecord record(AuditVerdict verdict) {
        return Records.transaction(
                verdict,
                "250 2.0.0 Ok",
                List.of(),
                List.of(Records.accepted("a@example.com")),
                Optional.empty());
    }

    private static FileChannel append(Path path) throws IOException {
        return FileChannel.open(
                path,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
    }

    @Test
    void appendsOneJsonLinePerRecordToWhatIsAlreadyThere() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        Files.writeString(file, "{\"earlier\":true}\n");

        try (AuditFile audit = AuditFile.open(file, AuditFileTest::append, err)) {
            audit.record(record(AuditVerdict.ACCEPT));
            audit.record(record(AuditVerdict.REJECT));
            // Readable at once, before close: nothing is buffered in the process.
            assertThat(Files.readAllLines(file)).hasSize(3);
        }

        List<String> lines = Files.readAllLines(file);
        assertThat(lines.get(0)).isEqualTo("{\"earlier\":true}");
        assertThat(lines.get(1)).isEqualTo(JsonAuditLog.format(record(AuditVerdict.ACCEPT)));
        assertThat(lines.get(2)).contains("\"verdict\":\"reject\"");
        assertThat(errBytes.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void refusesToStartWhenTheFileCannotBeOpenedNamingTheSetting() {
        Path missing = dir.resolve("no-such-dir").resolve("audit.jsonl");

        assertThatThrownBy(() -> AuditFile.open(missing))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("audit.file: cannot append to " + missing + ": ");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void aFullDiskCostsOneLineOnStandardErrorAndNeverAnException() throws IOException {
        // /dev/full fails every write with ENOSPC, as a full disk would.
        try (AuditFile audit = AuditFile.open(Path.of("/dev/full"), AuditFileTest::append, err)) {
            for (int i = 0; i < 50; i++) {
                audit.record(record(AuditVerdict.ACCEPT));
            }
        }

        String printed = errBytes.toString(StandardCharsets.UTF_8);
        assertThat(printed.lines())
                .singleElement()
                .asString()
                .startsWith("bulwark: cannot write audit file /dev/full: ")
                .contains("mail flow continues");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void reopensTheFileAfterAFailureAndSaysHowManyRecordsItMissed() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        AtomicInteger opens = new AtomicInteger();
        // First a file that fails like a full disk, then the real one: the sink must recover by
        // itself.
        AuditFile.Opener flaky =
                path -> opens.getAndIncrement() == 0 ? append(Path.of("/dev/full")) : append(path);

        try (AuditFile audit = AuditFile.open(file, flaky, err)) {
            audit.record(record(AuditVerdict.ACCEPT));
            audit.record(record(AuditVerdict.DEFER));
            audit.record(record(AuditVerdict.REJECT));
        }

        // The first record met the failing file; the second reopened the file and went through.
        assertThat(Files.readAllLines(file))
                .hasSize(2)
                .satisfiesExactly(
                        l -> assertThat(l).contains("\"verdict\":\"defer\""),
                        l -> assertThat(l).contains("\"verdict\":\"reject\""));
        List<String> printed = errBytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(printed).hasSize(2);
        assertThat(printed.get(0)).startsWith("bulwark: cannot write audit file " + file);
        assertThat(printed.get(1))
                .isEqualTo(
                        "bulwark: audit file "
                                + file
                                + " is writable again; 1 record(s) were not written to it (standard"
                                + " output has them)");
    }

    @Test
    void ignoresRecordsAfterClose() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        AuditFile audit = AuditFile.open(file, AuditFileTest::append, err);
        audit.close();

        audit.record(record(AuditVerdict.ACCEPT));

        assertThat(Files.readAllLines(file)).isEmpty();
        assertThat(errBytes.toString(StandardCharsets.UTF_8)).isEmpty();
    }
}
