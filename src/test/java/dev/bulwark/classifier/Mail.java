package dev.bulwark.classifier;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Messages, archives and corpora for the classifier's tests. */
final class Mail {
    private Mail() {}

    static final Path POLICY_CORPUS = Path.of("policy/corpus");

    /** A message with LF line ends (the corpus reader makes them CRLF). */
    static byte[] message(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String plain(String from, String subject, String body) {
        return "From: "
                + from
                + "\nTo: bob@example.com\nSubject: "
                + subject
                + "\nMessage-ID: <1@example.org>\nDate: Mon, 2 Sep 2002 10:00:00 +0000\n\n"
                + body
                + "\n";
    }

    /** A gzip-compressed ustar archive of the entries, in the order given. */
    static byte[] tarGz(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(tar(entries));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static byte[] tar(Map<String, byte[]> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            byte[] h = new byte[512];
            put(h, 0, e.getKey());
            put(h, 100, "0000644");
            put(h, 108, "0000000");
            put(h, 116, "0000000");
            put(h, 124, String.format("%011o", e.getValue().length));
            put(h, 136, "00000000000");
            h[156] = '0';
            put(h, 257, "ustar");
            put(h, 263, "00");
            for (int i = 148; i < 156; i++) {
                h[i] = ' ';
            }
            int sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            put(h, 148, String.format("%06o", sum));
            h[154] = 0;
            out.writeBytes(h);
            out.writeBytes(e.getValue());
            out.writeBytes(new byte[(512 - e.getValue().length % 512) % 512]);
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    /** The corpus in policy/corpus, read once per test JVM (it is immutable). */
    static Corpus policyCorpus() {
        return PolicyCorpus.CORPUS;
    }

    private static final class PolicyCorpus {
        static final Corpus CORPUS = readPolicyCorpus();
    }

    private static Corpus readPolicyCorpus() {
        try {
            return Corpus.read(
                    List.of(
                            new Corpus.Source(
                                    POLICY_CORPUS.resolve("ham"), "policy/corpus/ham", Label.HAM),
                            new Corpus.Source(
                                    POLICY_CORPUS.resolve("spam"),
                                    "policy/corpus/spam",
                                    Label.SPAM)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every {@code step}-th message of each class of the corpus, as a corpus. */
    static Corpus sample(Corpus corpus, int step) {
        List<CorpusMessage> out = new ArrayList<>();
        int[] seen = new int[2];
        for (CorpusMessage m : corpus.messages()) {
            if (seen[m.label().ordinal()]++ % step == 0) {
                out.add(m);
            }
        }
        return Corpus.of(out, List.of());
    }
}
