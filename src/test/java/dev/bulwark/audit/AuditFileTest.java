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

    /**
     * A real append channel that takes {@code budget} more octets and then fails like a full disk
     * (ENOSPC after a short write); when {@code truncates} is false, cutting the file back fails
     * too.
     */
    private static final class FillingChannel extends FileChannel {
        private final FileChannel file;
        private long budget;
        private final boolean truncates;

        FillingChannel(FileChannel file, long budget, boolean truncates) {
            this.file = file;
            this.budget = budget;
            this.truncates = truncates;
        }

        @Override
        public int write(java.nio.ByteBuffer src) throws IOException {
            if (budget <= 0) {
                throw new IOException("No space left on device");
            }
            java.nio.ByteBuffer part = src.slice();
            part.limit((int) Math.min(part.remaining(), budget));
            int n = file.write(part);
            src.position(src.position() + n);
            budget -= n;
            return n;
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            if (!truncates) {
                throw new IOException("Read-only file system");
            }
            file.truncate(size);
            return this;
        }

        @Override
        public long size() throws IOException {
            return file.size();
        }

        @Override
        public int read(java.nio.ByteBuffer dst) throws IOException {
            return file.read(dst);
        }

        @Override
        public long read(java.nio.ByteBuffer[] dsts, int offset, int length) throws IOException {
            return file.read(dsts, offset, length);
        }

        @Override
        public long write(java.nio.ByteBuffer[] srcs, int offset, int length) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long position() throws IOException {
            return file.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            file.position(newPosition);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            file.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, java.nio.channels.WritableByteChannel t) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long transferFrom(java.nio.channels.ReadableByteChannel s, long position, long c) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(java.nio.ByteBuffer dst, long position) throws IOException {
            return file.read(dst, position);
        }

        @Override
        public int write(java.nio.ByteBuffer src, long position) {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.nio.MappedByteBuffer map(MapMode mode, long position, long size) {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.nio.channels.FileLock lock(long position, long size, boolean shared) {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.nio.channels.FileLock tryLock(long position, long size, boolean shared) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void implCloseChannel() throws IOException {
            file.close();
        }
    }

    private static int lineLength(AuditVerdict verdict) {
        return (JsonAuditLog.format(record(verdict)) + "\n")
                .getBytes(StandardCharsets.UTF_8)
                .length;
    }

    @Test
    void aWriteThatFailsHalfwayIsCutBackSoTheNextRecordIsAWholeLine() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        AtomicInteger opens = new AtomicInteger();
        // The disk fills in the middle of the second record; after the failure the file is
        // reopened with room again.
        long room = lineLength(AuditVerdict.ACCEPT) + 25;
        AuditFile.Opener filling =
                path ->
                        opens.getAndIncrement() == 0
                                ? new FillingChannel(append(path), room, true)
                                : append(path);

        try (AuditFile audit = AuditFile.open(file, filling, err)) {
            audit.record(record(AuditVerdict.ACCEPT));
            audit.record(record(AuditVerdict.DEFER));
            audit.record(record(AuditVerdict.REJECT));
        }

        assertThat(Files.readString(file))
                .isEqualTo(
                        JsonAuditLog.format(record(AuditVerdict.ACCEPT))
                                + "\n"
                                + JsonAuditLog.format(record(AuditVerdict.REJECT))
                                + "\n");
    }

    @Test
    void aFragmentThatCannotBeCutBackEndsItsOwnLine() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        AtomicInteger opens = new AtomicInteger();
        long room = lineLength(AuditVerdict.ACCEPT) + 25;
        AuditFile.Opener filling =
                path ->
                        opens.getAndIncrement() == 0
                                ? new FillingChannel(append(path), room, false)
                                : append(path);

        try (AuditFile audit = AuditFile.open(file, filling, err)) {
            audit.record(record(AuditVerdict.ACCEPT));
            audit.record(record(AuditVerdict.DEFER));
            audit.record(record(AuditVerdict.REJECT));
        }

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).isEqualTo(JsonAuditLog.format(record(AuditVerdict.ACCEPT)));
        assertThat(lines.get(1)).hasSize(25);
        assertThat(lines.get(2)).isEqualTo(JsonAuditLog.format(record(AuditVerdict.REJECT)));
    }

    @Test
    void aFileLeftEndingInsideALineGetsTheFirstRecordOnANewLine() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        Files.writeString(file, "{\"earlier\":true}\n{\"torn\":");

        try (AuditFile audit = AuditFile.open(file, AuditFileTest::append, err)) {
            audit.record(record(AuditVerdict.ACCEPT));
        }

        assertThat(Files.readAllLines(file))
                .containsExactly(
                        "{\"earlier\":true}",
                        "{\"torn\":",
                        JsonAuditLog.format(record(AuditVerdict.ACCEPT)));
    }
}
