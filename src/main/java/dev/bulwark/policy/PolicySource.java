package dev.bulwark.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where a policy's text comes from: a directory ({@code inbound.yaml} and {@code lists/*.txt}) or a
 * canonical form on its own (the policy compiled into the runtime), with the classifier's model
 * when it names one. Names are for diagnostics.
 *
 * @param directory the policy directory, where a classifier's corpus is read (empty for a canonical
 *     form)
 * @param model the model a canonical form names (empty for a directory, which trains its own)
 * @param suffixes the Public Suffix List snapshot: a directory's {@code
 *     psl/public_suffix_list.dat}, or the one travelling beside a canonical form that names it
 */
record PolicySource(
        String mainFile,
        String mainText,
        List<ListFile> lists,
        List<Pos> ignored,
        Optional<Path> directory,
        Optional<byte[]> model,
        Optional<Snapshot> suffixes) {

    /** The entry file of a policy directory. */
    static final String MAIN = "inbound.yaml";

    /** Where a policy directory keeps its Public Suffix List snapshot. */
    static final String SUFFIXES = "psl/public_suffix_list.dat";

    /** A file's octets, named as diagnostics show it. */
    record Snapshot(String file, byte[] octets) {}

    record ListFile(String name, String file, String text) {}

    PolicySource {
        lists = List.copyOf(lists);
        ignored = List.copyOf(ignored);
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(suffixes, "suffixes");
    }

    /**
     * Reads a policy directory. Diagnostics name files relative to {@code dir} as given, so {@code
     * policy} gives {@code policy/inbound.yaml}.
     */
    static PolicySource directory(Path dir) throws IOException {
        return directory(dir, dir);
    }

    /** Reads {@code dir}, naming its files in diagnostics as if it were {@code shownAs}. */
    static PolicySource directory(Path dir, Path shownAs) throws IOException {
        Path main = dir.resolve(MAIN);
        String mainText = Files.readString(main, StandardCharsets.UTF_8);
        List<ListFile> lists = new ArrayList<>();
        List<Pos> ignored = new ArrayList<>();
        Path listDir = dir.resolve("lists");
        if (Files.isDirectory(listDir)) {
            try (Stream<Path> files = Files.list(listDir)) {
                for (Path f : files.sorted().toList()) {
                    String name = f.getFileName().toString();
                    if (name.startsWith(".") || Files.isDirectory(f)) {
                        continue;
                    }
                    String shown = shownAs.resolve("lists").resolve(name).toString();
                    if (!name.endsWith(".txt")) {
                        ignored.add(new Pos(shown, 1, 1));
                        continue;
                    }
                    lists.add(
                            new ListFile(
                                    name.substring(0, name.length() - 4),
                                    shown,
                                    Files.readString(f, StandardCharsets.UTF_8)));
                }
            }
        }
        Path psl = dir.resolve(SUFFIXES);
        Optional<Snapshot> suffixes =
                Files.isRegularFile(psl)
                        ? Optional.of(
                                new Snapshot(
                                        shownAs.resolve(SUFFIXES).toString(),
                                        Files.readAllBytes(psl)))
                        : Optional.empty();
        return new PolicySource(
                shownAs.resolve(MAIN).toString(),
                mainText,
                lists,
                ignored,
                Optional.of(dir),
                Optional.empty(),
                suffixes);
    }

    static PolicySource canonical(String name, String text) {
        return canonical(name, text, Optional.empty(), Optional.empty());
    }

    /**
     * A canonical form with the model its classifier section names and the Public Suffix List
     * snapshot its {@code public-suffixes} section names, if any.
     */
    static PolicySource canonical(
            String name, String text, Optional<byte[]> model, Optional<byte[]> suffixes) {
        return new PolicySource(
                name,
                text,
                List.of(),
                List.of(),
                Optional.empty(),
                model,
                suffixes.map(b -> new Snapshot(name + " (public suffixes)", b)));
    }
}
