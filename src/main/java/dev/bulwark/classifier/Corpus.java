package dev.bulwark.classifier;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The training mail: every usable message of the sources, in a canonical order, and a warning for
 * every message that could not be used.
 *
 * <p>A source is a folder (every regular file in it and in its subfolders is a message, except
 * hidden files; archives are read entry by entry), an archive ({@code .tar.gz}, {@code .tgz},
 * {@code .tar}: every regular file in it is a message) or one message file. A message is named in
 * diagnostics by its file, or {@code ARCHIVE!/ENTRY}.
 *
 * <p>The order of {@link #messages} is by content digest, then class: it does not depend on file
 * names, archive layout or the order of sources, so renaming or repacking messages changes neither
 * the {@link #digest} nor the trained model.
 *
 * @param messages the usable messages in canonical order
 * @param warnings messages that were left out, and why, in the order the sources were read
 */
public record Corpus(List<CorpusMessage> messages, List<Warning> warnings) {

    /** Messages larger than this are left out (a warning): 16 MiB. */
    public static final int MAX_MESSAGE = 16 * 1024 * 1024;

    private static final Comparator<CorpusMessage> CANONICAL =
            Comparator.comparing((CorpusMessage m) -> m.sha256()).thenComparing(m -> m.label());

    public Corpus {
        messages = List.copyOf(messages);
        warnings = List.copyOf(warnings);
    }

    /**
     * One place training mail of one class is read from.
     *
     * @param path the folder, archive or file
     * @param name how diagnostics call it (the path as the policy wrote it, say {@code
     *     policy/corpus/spam})
     */
    public record Source(Path path, String name, Label label) {
        public Source {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(label, "label");
        }
    }

    /**
     * A message that was left out of training.
     *
     * @param where the message, as {@link CorpusMessage#name()}, or the archive at fault
     */
    public record Warning(String where, String message) {
        public Warning {
            Objects.requireNonNull(where, "where");
            Objects.requireNonNull(message, "message");
        }

        @Override
        public String toString() {
            return where + ": warning: " + message;
        }
    }

    /**
     * Reads every source. A message that cannot be used (unreadable, empty, without a header field,
     * too large, or identical to a message of the other class) is a {@link Warning} and is left
     * out; so is the rest of a damaged archive.
     *
     * @throws IOException when a source does not exist or a folder cannot be listed
     */
    public static Corpus read(List<Source> sources) throws IOException {
        List<CorpusMessage> read = new ArrayList<>();
        List<Warning> warnings = new ArrayList<>();
        for (Source source : sources) {
            if (Files.isDirectory(source.path())) {
                folder(source, source.path(), source.name(), read, warnings);
            } else if (Files.isRegularFile(source.path())) {
                file(source, source.path(), source.name(), read, warnings);
            } else {
                throw new java.nio.file.NoSuchFileException(source.name());
            }
        }
        return of(read, warnings);
    }

    /**
     * A corpus of messages already read: left out with a warning are messages without a header
     * field, and messages whose bytes are in both classes; a message repeated within its class
     * counts once.
     */
    public static Corpus of(List<CorpusMessage> read, List<Warning> warningsSoFar) {
        List<Warning> warnings = new ArrayList<>(warningsSoFar);
        Map<String, CorpusMessage> hams = new LinkedHashMap<>();
        Map<String, CorpusMessage> spams = new LinkedHashMap<>();
        for (CorpusMessage m : read) {
            String problem = unusable(m.bytes());
            if (problem != null) {
                warnings.add(new Warning(m.name(), problem + "; not used for training"));
                continue;
            }
            Map<String, CorpusMessage> same = m.label() == Label.HAM ? hams : spams;
            CorpusMessage first = same.putIfAbsent(m.sha256(), m);
            if (first != null) {
                warnings.add(
                        new Warning(
                                m.name(),
                                "same message as " + first.name() + "; counted once for training"));
            }
        }
        List<CorpusMessage> kept = new ArrayList<>();
        for (Map<String, CorpusMessage> cls : List.of(hams, spams)) {
            Map<String, CorpusMessage> other = cls == hams ? spams : hams;
            for (CorpusMessage m : cls.values()) {
                CorpusMessage twin = other.get(m.sha256());
                if (twin != null) {
                    warnings.add(
                            new Warning(
                                    m.name(),
                                    "the same message is "
                                            + twin.label().word()
                                            + " in "
                                            + twin.name()
                                            + "; not used for training"));
                } else {
                    kept.add(m);
                }
            }
        }
        kept.sort(CANONICAL);
        return new Corpus(kept, warnings);
    }

    /** How many usable messages the class has. */
    public int count(Label label) {
        int n = 0;
        for (CorpusMessage m : messages) {
            if (m.label() == label) {
                n++;
            }
        }
        return n;
    }

    /**
     * SHA-256 (hex) of what the model learns from: a line {@code ham|spam SHA256} per message in
     * canonical order. Names, archives and the order of sources do not change it; a message added,
     * removed, edited or moved to the other class does.
     */
    public String digest() {
        MessageDigest d = CorpusMessage.digest();
        for (CorpusMessage m : messages) {
            d.update(
                    (m.label().word() + " " + m.sha256() + "\n")
                            .getBytes(StandardCharsets.US_ASCII));
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static void folder(
            Source source, Path dir, String name, List<CorpusMessage> read, List<Warning> warnings)
            throws IOException {
        List<Path> entries;
        try (Stream<Path> s = Files.list(dir)) {
            entries =
                    s.filter(p -> !p.getFileName().toString().startsWith("."))
                            .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                            .toList();
        }
        for (Path p : entries) {
            String child = name + "/" + p.getFileName();
            if (Files.isDirectory(p)) {
                folder(source, p, child, read, warnings);
            } else if (Files.isRegularFile(p)) {
                file(source, p, child, read, warnings);
            }
        }
    }

    private static void file(
            Source source, Path p, String name, List<CorpusMessage> read, List<Warning> warnings) {
        String lower = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith(".tar.gz") || lower.endsWith(".tgz") || lower.endsWith(".tar")) {
            archive(source, p, name, lower.endsWith(".tar"), read, warnings);
            return;
        }
        try {
            if (Files.size(p) > MAX_MESSAGE) {
                warnings.add(new Warning(name, tooLarge(Files.size(p))));
                return;
            }
            read.add(CorpusMessage.of(name, source.label(), Files.readAllBytes(p)));
        } catch (IOException e) {
            warnings.add(new Warning(name, "cannot be read (" + reason(e) + "); not used"));
        }
    }

    private static void archive(
            Source source,
            Path p,
            String name,
            boolean plain,
            List<CorpusMessage> read,
            List<Warning> warnings) {
        int count = 0;
        String last = null;
        try (InputStream file = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
                InputStream in = plain ? file : new GZIPInputStream(file, 1 << 16)) {
            TarReader tar = new TarReader(in, MAX_MESSAGE);
            TarReader.Entry e;
            while ((e = tar.next()) != null) {
                String entry = name + "!/" + e.name();
                last = entry;
                if (tar.content() == null) {
                    warnings.add(new Warning(entry, tooLarge(e.size())));
                    continue;
                }
                read.add(CorpusMessage.of(entry, source.label(), tar.content()));
                count++;
            }
        } catch (IOException e) {
            String after =
                    last == null
                            ? "before its first message"
                            : "after " + last + " (" + count + " messages read)";
            warnings.add(
                    new Warning(
                            name,
                            "damaged archive ("
                                    + reason(e)
                                    + ") "
                                    + after
                                    + "; the rest of it is not used"));
        }
    }

    private static String tooLarge(long size) {
        return "larger than " + MAX_MESSAGE + " bytes (" + size + "); not used for training";
    }

    private static String reason(IOException e) {
        if (e instanceof ZipException) {
            return "not gzip data: " + e.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Why a message cannot be trained on, or null. */
    private static String unusable(byte[] m) {
        if (m.length == 0) {
            return "empty";
        }
        // The first line must be a header field: a name of printable characters and a colon.
        int i = 0;
        while (i < m.length && m[i] > 32 && m[i] < 127 && m[i] != ':') {
            i++;
        }
        if (i == 0 || i >= m.length || m[i] != ':') {
            return "does not start with a header field";
        }
        return null;
    }
}
