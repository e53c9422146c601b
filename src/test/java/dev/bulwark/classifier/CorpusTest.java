package dev.bulwark.classifier;

import static dev.bulwark.classifier.Mail.message;
import static dev.bulwark.classifier.Mail.plain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

class CorpusTest {

    @TempDir Path temp;

    private static final byte[] HAM1 = message(plain("a@example.org", "lunch", "see you at noon"));
    private static final byte[] HAM2 = message(plain("b@example.org", "build", "the build broke"));
    private static final byte[] SPAM1 = message(plain("x@spam.biz", "FREE", "click here now"));
    private static final byte[] SPAM2 = message(plain("y@spam.biz", "offer", "cheap pills"));

    private Path write(String name, byte[] content) throws IOException {
        Path p = temp.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
        return p;
    }

    private Corpus read() throws IOException {
        return Corpus.read(
                List.of(
                        new Corpus.Source(temp.resolve("ham"), "corpus/ham", Label.HAM),
                        new Corpus.Source(temp.resolve("spam"), "corpus/spam", Label.SPAM)));
    }

    private static List<String> names(Corpus c) {
        return c.messages().stream().map(CorpusMessage::name).sorted().toList();
    }

    @Test
    void readsFilesSubfoldersAndArchivesNamingEveryMessage() throws IOException {
        write("ham/1.eml", HAM1);
        write("ham/older/2.eml", HAM2);
        write("ham/.hidden", message("not: a message\n"));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("00001.abc", SPAM1);
        entries.put("00002.def", SPAM2);
        write("spam/spam-1.tar.gz", Mail.tarGz(entries));

        Corpus c = read();

        assertThat(c.warnings()).isEmpty();
        assertThat(names(c))
                .containsExactly(
                        "corpus/ham/1.eml",
                        "corpus/ham/older/2.eml",
                        "corpus/spam/spam-1.tar.gz!/00001.abc",
                        "corpus/spam/spam-1.tar.gz!/00002.def");
        assertThat(c.count(Label.HAM)).isEqualTo(2);
        assertThat(c.count(Label.SPAM)).isEqualTo(2);
    }

    @Test
    void messagesAreStoredAsReceivedWithoutTheMboxLineAndWithCrlf() {
        CorpusMessage m =
                CorpusMessage.of(
                        "m",
                        Label.HAM,
                        message(
                                "From someone@example.org  Thu Aug 22 12:36:23 2002\nSubject: x"
                                        + "\r\n\nbody\n"));
        assertThat(new String(m.bytes(), StandardCharsets.US_ASCII))
                .isEqualTo("Subject: x\r\n\r\nbody\r\n");
        assertThat(m.sha256()).isEqualTo(CorpusMessage.sha256(m.bytes()));
    }

    @Test
    void warnsAboutEveryMessageItCannotUseAndKeepsTheRest() throws IOException {
        write("ham/good.eml", HAM1);
        write("ham/empty.eml", new byte[0]);
        write("ham/no-header.eml", message("hello there\n\nbody\n"));
        write("spam/good.eml", SPAM1);

        Corpus c = read();

        assertThat(names(c)).containsExactly("corpus/ham/good.eml", "corpus/spam/good.eml");
        assertThat(c.warnings())
                .extracting(Corpus.Warning::toString)
                .containsExactly(
                        "corpus/ham/empty.eml: warning: empty; not used for training",
                        "corpus/ham/no-header.eml: warning: does not start with a header field;"
                                + " not used for training");
    }

    @Test
    void damagedArchiveKeepsTheMessagesBeforeTheDamageAndSaysWhere() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("00001.a", SPAM1);
        entries.put("00002.b", SPAM2);
        byte[] tar = Mail.tar(entries);
        // cut inside the second entry's content: the first message is complete
        write("spam/cut.tar", Arrays.copyOf(tar, 512 + 512 + 512 + 10));
        write("spam/not-gzip.tar.gz", message("plain text\n"));
        write("ham/good.eml", HAM1);

        Corpus c = read();

        assertThat(names(c)).containsExactly("corpus/ham/good.eml", "corpus/spam/cut.tar!/00001.a");
        assertThat(c.warnings())
                .extracting(Corpus.Warning::toString)
                .containsExactly(
                        "corpus/spam/cut.tar: warning: damaged archive (archive ends inside an"
                                + " entry) after corpus/spam/cut.tar!/00001.a (1 messages read);"
                                + " the rest of it is not used",
                        "corpus/spam/not-gzip.tar.gz: warning: damaged archive (not gzip data:"
                                + " Not in GZIP format) before its first message; the rest of it"
                                + " is not used");
    }

    @Test
    void aMessageInBothClassesIsLeftOutOfBothAndARepeatCountsOnce() throws IOException {
        write("ham/a.eml", HAM1);
        write("ham/b.eml", HAM2);
        write("ham/b-again.eml", HAM2);
        write("spam/a-as-spam.eml", HAM1);
        write("spam/s.eml", SPAM1);

        Corpus c = read();

        assertThat(names(c)).containsExactly("corpus/ham/b-again.eml", "corpus/spam/s.eml");
        assertThat(c.warnings())
                .extracting(Corpus.Warning::toString)
                .containsExactlyInAnyOrder(
                        "corpus/ham/b.eml: warning: same message as corpus/ham/b-again.eml;"
                                + " counted once for training",
                        "corpus/ham/a.eml: warning: the same message is spam in"
                                + " corpus/spam/a-as-spam.eml; not used for training",
                        "corpus/spam/a-as-spam.eml: warning: the same message is ham in"
                                + " corpus/ham/a.eml; not used for training");
    }

    @Test
    void digestAndOrderIgnoreNamesAndPackagingButNotContentOrClass() throws IOException {
        Corpus loose =
                Corpus.of(
                        List.of(
                                CorpusMessage.of("h1", Label.HAM, HAM1),
                                CorpusMessage.of("h2", Label.HAM, HAM2),
                                CorpusMessage.of("s1", Label.SPAM, SPAM1)),
                        List.of());
        Corpus renamed =
                Corpus.of(
                        List.of(
                                CorpusMessage.of("archive!/x", Label.SPAM, SPAM1),
                                CorpusMessage.of("other/y", Label.HAM, HAM2),
                                CorpusMessage.of("z", Label.HAM, HAM1)),
                        List.of());
        Corpus moved =
                Corpus.of(
                        List.of(
                                CorpusMessage.of("h1", Label.HAM, HAM1),
                                CorpusMessage.of("h2", Label.SPAM, HAM2),
                                CorpusMessage.of("s1", Label.SPAM, SPAM1)),
                        List.of());
        Corpus edited =
                Corpus.of(
                        List.of(
                                CorpusMessage.of("h1", Label.HAM, HAM1),
                                CorpusMessage.of("h2", Label.HAM, message(plain("b@x", "b", "c"))),
                                CorpusMessage.of("s1", Label.SPAM, SPAM1)),
                        List.of());

        assertThat(renamed.digest()).isEqualTo(loose.digest());
        assertThat(renamed.messages())
                .extracting(CorpusMessage::sha256)
                .containsExactlyElementsOf(
                        loose.messages().stream().map(CorpusMessage::sha256).toList());
        assertThat(moved.digest()).isNotEqualTo(loose.digest());
        assertThat(edited.digest()).isNotEqualTo(loose.digest());
    }

    @Test
    void aMissingSourceIsAnError() {
        assertThatThrownBy(
                        () ->
                                Corpus.read(
                                        List.of(
                                                new Corpus.Source(
                                                        temp.resolve("nope"),
                                                        "corpus/nope",
                                                        Label.HAM))))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessage("corpus/nope");
    }

    @Test
    void thePolicyCorpusHoldsEasyHam1AndSpam1UnderTheirSpamAssassinNames() {
        Corpus c = Mail.policyCorpus();

        assertThat(c.warnings()).isEmpty();
        assertThat(c.count(Label.HAM)).isEqualTo(2500);
        assertThat(c.count(Label.SPAM)).isEqualTo(500);
        assertThat(names(c))
                .contains(
                        "policy/corpus/ham/easy-ham-1.tar.gz!/00001.7c53336b37003a9286aba55d2945844c",
                        "policy/corpus/spam/spam-1.tar.gz!/00500.85b72f09f6778a085dc8b6821965a76f");
    }
}
