package dev.bulwark.check.mime;

import static dev.bulwark.check.mime.MimeParserTest.allocated;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

class ZipTest {

    private static ParsedMessage parse(byte[] message) {
        return MimeParser.parse(message);
    }

    @Test
    void listsNamesAndSniffedTypesInsideAZipAttachment() {
        byte[] zip =
                Zips.zip(
                        Zips.entries(
                                "invoice.pdf.exe", Zips.EXE,
                                "docs/", "",
                                "docs/readme.txt", "plain words",
                                "scan.pdf", "%PDF-1.7 ..."));
        ParsedMessage m = parse(Zips.message("invoice.zip", zip));
        assertThat(m.attachments())
                .extracting(
                        ParsedMessage.Attachment::filename,
                        ParsedMessage.Attachment::contentType,
                        ParsedMessage.Attachment::archive)
                .containsExactly(
                        tuple("invoice.zip", "application/zip", ""),
                        tuple("invoice.pdf.exe", "application/x-msdownload", "invoice.zip"),
                        tuple("docs/readme.txt", "application/octet-stream", "invoice.zip"),
                        tuple("scan.pdf", "application/pdf", "invoice.zip"));
        assertThat(m.attachments().get(1).extension()).isEqualTo("exe");
        assertThat(m.budgetExceeded()).isEmpty();
        assertThat(m.defects()).isEmpty();
    }

    @Test
    void opensZipsInsideZipsAndNamesThePath() {
        byte[] inner = Zips.zip(Zips.entries("setup.exe", Zips.EXE));
        byte[] outer = Zips.zip(Zips.entries("notes.txt", "hi", "inner.zip", inner));
        ParsedMessage m = parse(Zips.message("outer.zip", outer));
        assertThat(m.attachments())
                .extracting(ParsedMessage.Attachment::filename, ParsedMessage.Attachment::archive)
                .containsExactly(
                        tuple("outer.zip", ""),
                        tuple("notes.txt", "outer.zip"),
                        tuple("inner.zip", "outer.zip"),
                        tuple("setup.exe", "outer.zip/inner.zip"));
        assertThat(m.budgetExceeded()).isEmpty();
    }

    @Test
    void recognisesAZipByItsContentWhateverItIsCalled() {
        byte[] zip = Zips.zip(Zips.entries("run.scr", Zips.EXE));
        byte[] message =
                new String(
                                Zips.message("holiday.dat", zip),
                                java.nio.charset.StandardCharsets.US_ASCII)
                        .replace("application/zip", "application/octet-stream")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(parse(message).attachments())
                .extracting(ParsedMessage.Attachment::filename)
                .containsExactly("holiday.dat", "run.scr");
    }

    @Test
    void aHugeCompressionRatioIsABudgetFactNeverInflated() {
        byte[] zeros = new byte[50 * 1024 * 1024];
        byte[] zip =
                Zips.zip(
                        Zips.entries(
                                "disk.img",
                                zeros,
                                "bomb.zip",
                                Zips.zip(Zips.entries("zeros", zeros))));
        byte[] message = Zips.message("backup.zip", zip);
        ParsedMessage[] m = new ParsedMessage[1];
        long bytes = allocated(() -> m[0] = parse(message));
        assertThat(m[0].budgetExceeded()).containsExactly(MessageBudget.Kind.ARCHIVE_RATIO);
        assertThat(m[0].defects()).contains("budget exceeded: archive-ratio");
        assertThat(m[0].attachments())
                .extracting(ParsedMessage.Attachment::filename)
                .contains("disk.img", "bomb.zip");
        assertThat(bytes).isLessThan(20L * message.length + (1 << 20));
    }

    @Test
    void aFortyTwoStyleNestingStopsAtTheArchiveDepth() {
        byte[] level = Zips.zip(Zips.entries("page.txt", new byte[4 * 1024 * 1024]));
        for (int i = 0; i < 5; i++) {
            Object[] sixteen = new Object[32];
            for (int k = 0; k < 16; k++) {
                sixteen[2 * k] = "l" + i + "-" + k + ".zip";
                sixteen[2 * k + 1] = level;
            }
            level = Zips.zip(Zips.entries(sixteen));
        }
        byte[] message = Zips.message("42.zip", level);
        ParsedMessage[] m = new ParsedMessage[1];
        long bytes = allocated(() -> m[0] = parse(message));
        assertThat(m[0].budgetExceeded()).contains(MessageBudget.Kind.ARCHIVE_DEPTH);
        assertThat(bytes).isLessThan(20L * message.length + (4 << 20));
    }

    @Test
    void entriesPastTheBudgetAreNotListed() {
        Object[] many = new Object[2 * 1500];
        for (int k = 0; k < 1500; k++) {
            many[2 * k] = "f" + k + ".txt";
            many[2 * k + 1] = "x";
        }
        ParsedMessage m = parse(Zips.message("many.zip", Zips.zip(Zips.entries(many))));
        assertThat(m.budgetExceeded()).containsExactly(MessageBudget.Kind.ARCHIVE_ENTRIES);
        assertThat(m.attachments()).hasSize(1 + MessageBudget.defaults().archiveEntries());
    }

    @Test
    void aLocalHeaderNamingAnEntryOtherwiseIsListedToo() {
        byte[] zip = Zips.zip(Zips.entries("readme.txt", Zips.EXE));
        // the local header (first) says readme.exe; the central directory still says readme.txt
        int local = indexOf(zip, "readme.txt".getBytes(), 0);
        zip[local + 7] = 'e';
        zip[local + 8] = 'x';
        zip[local + 9] = 'e';
        ParsedMessage m = parse(Zips.message("a.zip", zip));
        assertThat(m.attachments())
                .extracting(ParsedMessage.Attachment::filename)
                .contains("readme.txt", "readme.exe");
        assertThat(m.defects()).contains("malformed archive");
    }

    @Test
    void entriesHiddenByAZeroCountAreListedAnyway() {
        byte[] zip = Zips.zip(Zips.entries("a.txt", "a", "b.exe", Zips.EXE));
        int end = zip.length - 22;
        zip[end + 8] = 0;
        zip[end + 9] = 0;
        zip[end + 10] = 0;
        zip[end + 11] = 0;
        assertThat(parse(Zips.message("c.zip", zip)).attachments())
                .extracting(ParsedMessage.Attachment::filename)
                .contains("a.txt", "b.exe");
    }

    @Test
    void aCutOffArchiveIsReadFromItsLocalHeaders() {
        byte[] zip = Zips.zip(Zips.entries("one.txt", "1111", "two.exe", Zips.EXE));
        byte[] cut = Arrays.copyOf(zip, indexOf(zip, new byte[] {'P', 'K', 1, 2}, 0));
        ParsedMessage m = parse(Zips.message("cut.zip", cut));
        assertThat(m.attachments())
                .extracting(
                        ParsedMessage.Attachment::filename, ParsedMessage.Attachment::contentType)
                .contains(
                        tuple("one.txt", "application/octet-stream"),
                        tuple("two.exe", "application/x-msdownload"));
        assertThat(m.defects()).contains("malformed archive");
    }

    @Test
    void garbageNamedZipIsMalformedNotAnError() {
        ParsedMessage m = parse(Zips.message("junk.zip", "PK\u0003\u0004 not really".getBytes()));
        assertThat(m.attachments())
                .extracting(ParsedMessage.Attachment::filename)
                .containsExactly("junk.zip");
        assertThat(m.defects()).contains("malformed archive");
    }

    static int indexOf(byte[] b, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= b.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (b[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
