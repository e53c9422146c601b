package dev.bulwark.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

class DataReaderTest {

    @TempDir Path spoolDir;

    private record Read(DataReader.Result result, String message, String rest) {}

    private Read read(String wire, long maxSize, long memoryThreshold) throws Exception {
        InputStream in =
                new BufferedInputStream(
                        new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1)), 16);
        try (Spool spool = new Spool(spoolDir, memoryThreshold)) {
            DataReader.Result r = new DataReader(maxSize, 998, 1000, spool).read(in);
            String message = new String(spool.open().readAllBytes(), StandardCharsets.ISO_8859_1);
            return new Read(r, message, new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void unstuffsDotsAndStopsExactlyAfterTheEndMarker() throws Exception {
        Read r = read("A: b\r\n\r\n..x\r\n.\r\n..\r\n.\r\nQUIT\r\n", 1000, 1000);
        assertThat(r.result().problem()).isEqualTo(DataReader.Problem.NONE);
        assertThat(r.message()).isEqualTo("A: b\r\n\r\n.x\r\n");
        assertThat(r.rest()).isEqualTo("..\r\n.\r\nQUIT\r\n");
        assertThat(r.result().headerEnd()).isEqualTo(8);
    }

    @Test
    void readsAnEmptyMessage() throws Exception {
        Read r = read(".\r\nNOOP\r\n", 1000, 1000);
        assertThat(r.message()).isEmpty();
        assertThat(r.rest()).isEqualTo("NOOP\r\n");
    }

    @Test
    void neverTakesABareLineEndingForTheEnd() throws Exception {
        for (String fake : new String[] {"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r\n.\r"}) {
            Read r = read("x" + fake + "MAIL FROM:<a@b>\r\n.\r\nNEXT", 1000, 1000);
            assertThat(r.result().problem())
                    .as(fake)
                    .isEqualTo(DataReader.Problem.BARE_LINE_ENDING);
            assertThat(r.rest()).as(fake).isEqualTo("NEXT");
        }
    }

    @Test
    void drainsAnOversizeMessageToItsEndAndKeepsNoMoreThanTheLimit() throws Exception {
        Read r = read("x".repeat(50) + "\r\n" + "y".repeat(50) + "\r\n.\r\nNEXT", 60, 1000);
        assertThat(r.result().problem()).isEqualTo(DataReader.Problem.TOO_BIG);
        assertThat(r.message().length()).isLessThanOrEqualTo(60);
        assertThat(r.rest()).isEqualTo("NEXT");
    }

    @Test
    void spillsLargeMessagesToAFileAndReadsThemBackWhole() throws Exception {
        String body = ("0123456789".repeat(9) + "\r\n").repeat(500);
        Read r = read("Subject: big\r\n\r\n" + body + ".\r\n", 1_000_000, 1024);
        assertThat(r.message()).isEqualTo("Subject: big\r\n\r\n" + body);
    }

    @Test
    void failsWhenTheClientLeavesBeforeTheEnd() {
        assertThatThrownBy(() -> read("Subject: cut\r\n\r\nhalf a mess", 1000, 1000))
                .isInstanceOf(EOFException.class);
    }

    @Test
    void reportsTheLimitAMessageCrossesFirst() throws Exception {
        String wire = "Subject: " + "a".repeat(30) + "\r\n\r\nbody\r\n.\r\n";
        try (Spool spool = new Spool(spoolDir, 1000)) {
            InputStream in =
                    new BufferedInputStream(
                            new ByteArrayInputStream(wire.getBytes(StandardCharsets.US_ASCII)));
            assertThat(new DataReader(1000, 20, 30, spool).read(in).problem())
                    .isEqualTo(DataReader.Problem.LINE_TOO_LONG);
        }
        try (Spool spool = new Spool(spoolDir, 1000)) {
            InputStream in =
                    new BufferedInputStream(
                            new ByteArrayInputStream(wire.getBytes(StandardCharsets.US_ASCII)));
            assertThat(new DataReader(1000, 35, 12, spool).read(in).problem())
                    .isEqualTo(DataReader.Problem.HEADER_TOO_BIG);
        }
        try (Spool spool = new Spool(spoolDir, 1000)) {
            InputStream in =
                    new BufferedInputStream(
                            new ByteArrayInputStream(wire.getBytes(StandardCharsets.US_ASCII)));
            assertThat(new DataReader(10, 35, 100, spool).read(in).problem())
                    .isEqualTo(DataReader.Problem.TOO_BIG);
        }
    }
}
