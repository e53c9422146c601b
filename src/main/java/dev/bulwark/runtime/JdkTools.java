package dev.bulwark.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleFinder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/** The JDK's own tools as the packager uses them: jdeps to find the modules, jlink to link them. */
final class JdkTools {

    private JdkTools() {}

    /**
     * The JDK modules to link: those the classes in the jars reference (jdeps), plus {@code add}
     * (modules reached by name at run time, which jdeps cannot see: JNDI DNS, extra charsets), less
     * each module of {@code unreached} whose every referencing class lies under one of the
     * class-name prefixes given for it, provided no class outside those prefixes refers to a class
     * inside them (code the application never runs, such as Angus' image content handlers).
     * Otherwise the module stays and the log says why: a new use is never silently cut off. What
     * static references cannot show (reflection, service loading) is the reviewer's judgement,
     * recorded beside the list in pom.xml.
     */
    static List<String> modules(
            List<Path> jars, Set<String> add, Map<String, List<String>> unreached) {
        // ALL-SYSTEM: otherwise a modular jar's `requires static` modules are not resolved and
        // the classes it uses from them show as "not found" instead of under their module.
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--add-modules",
                                "ALL-SYSTEM",
                                "--ignore-missing-deps",
                                "-verbose:class",
                                "--multi-release",
                                Integer.toString(Runtime.version().feature())));
        jars.forEach(j -> args.add(j.toString()));
        String out = run("jdeps", args);
        Map<String, Set<String>> referencedFrom = new TreeMap<>();
        List<String[]> edges = new ArrayList<>();
        for (String line : out.split("\n")) {
            // "   origin.Class   -> target.Class   module-or-jar"
            String[] f = line.strip().split("\\s+");
            if (f.length >= 4 && f[1].equals("->")) {
                edges.add(f);
                String module = f[f.length - 1];
                // jdeps also names modular jars among the inputs; those stay on the class path.
                if (ModuleFinder.ofSystem().find(module).isPresent()) {
                    referencedFrom.computeIfAbsent(module, m -> new TreeSet<>()).add(f[0]);
                }
            }
        }
        Set<String> modules = new TreeSet<>(referencedFrom.keySet());
        unreached.forEach(
                (module, prefixes) -> {
                    java.util.function.Predicate<String> inside =
                            c -> prefixes.stream().anyMatch(c::startsWith);
                    Optional<String> outsideUser =
                            referencedFrom.getOrDefault(module, Set.of()).stream()
                                    .filter(inside.negate())
                                    .findFirst();
                    Optional<String[]> entry =
                            edges.stream()
                                    .filter(e -> !inside.test(e[0]) && inside.test(e[2]))
                                    .findFirst();
                    if (outsideUser.isPresent()) {
                        Packager.log(
                                "keeping "
                                        + module
                                        + ": "
                                        + outsideUser.get()
                                        + " uses it, and is not under "
                                        + prefixes);
                    } else if (entry.isPresent()) {
                        Packager.log(
                                "keeping "
                                        + module
                                        + ": "
                                        + entry.get()[0]
                                        + " uses "
                                        + entry.get()[2]
                                        + ", under "
                                        + prefixes);
                    } else {
                        modules.remove(module);
                    }
                });
        modules.addAll(add);
        return List.copyOf(modules);
    }

    static void link(List<String> modules, Path home, boolean cds) throws IOException {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--add-modules",
                                String.join(",", modules),
                                "--strip-debug",
                                "--no-header-files",
                                "--no-man-pages",
                                "--compress",
                                "zip-6",
                                "--output",
                                home.toString()));
        if (cds) {
            args.add("--generate-cds-archive");
        }
        Packager.log(run("jlink", args).strip());
        if (cds) {
            // The archive for uncompressed oops serves only heaps of 32 GB and more.
            Files.deleteIfExists(home.resolve("lib/server/classes_nocoops.jsa"));
        }
        // Only java is needed; keytool and jwebserver (a file server) have no place on a node.
        try (Stream<Path> s = Files.list(home.resolve("bin"))) {
            for (Path p : s.toList()) {
                if (!p.getFileName().toString().equals("java")) {
                    Files.delete(p);
                }
            }
        }
        materializeLinks(home);
    }

    /**
     * Replaces symbolic links (jlink links duplicate legal notices) by copies, so the runtime holds
     * only plain files.
     */
    static void materializeLinks(Path dir) throws IOException {
        List<Path> links;
        try (Stream<Path> s = Files.walk(dir)) {
            links = s.filter(Files::isSymbolicLink).sorted().toList();
        }
        for (Path link : links) {
            Path target = link.toRealPath();
            if (!target.startsWith(dir.toRealPath())) {
                throw new IOException(link + " points outside the runtime, to " + target);
            }
            Files.delete(link);
            Files.copy(target, link);
        }
    }

    /**
     * Runs a JDK tool of the JDK running the packager, in a process of its own. Not through
     * ToolProvider: jlink run in this JVM wrote a different lib/modules depending on what the JVM
     * had done before (reading the signing key changed 59 bytes), and a fresh process has no such
     * history.
     */
    private static String run(String tool, List<String> args) {
        Path exe = Path.of(System.getProperty("java.home"), "bin", tool);
        if (!Files.isExecutable(exe)) {
            throw new IllegalStateException(
                    "this JDK ("
                            + System.getProperty("java.home")
                            + ") has no "
                            + tool
                            + ": run the packager on a full JDK 25");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(exe.toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment()
                .keySet()
                .removeAll(List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"));
        try {
            Path err = Files.createTempFile("bulwark-" + tool, ".err");
            try {
                Process p = pb.redirectError(err.toFile()).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                int rc = p.waitFor();
                if (rc != 0) {
                    throw new IllegalStateException(
                            tool + " failed (exit " + rc + "):\n" + out + Files.readString(err));
                }
                return out;
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + exe, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + tool, e);
        }
    }
}
