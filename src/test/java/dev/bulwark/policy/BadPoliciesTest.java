package dev.bulwark.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The compiler's diagnostics, as a table in the manner of re2j's RE2CompileTest: each policy in
 * {@code src/test/resources/policies/bad} (a file {@code NAME.yaml}, or a directory {@code NAME/}
 * with lists) beside {@code NAME.expected}, the exact lines the compiler must print, errors and
 * warnings, sorted. Files are named as {@code policy/...}, as when the user types {@code bulwark
 * policy compile policy}.
 *
 * <p>Run with {@code -Dbulwark.regenerate=true} to rewrite the expected files after a deliberate
 * change to a message, then review the diff.
 */
class BadPoliciesTest {

    @TempDir Path temp;

    @TestFactory
    Stream<DynamicTest> everyBadPolicyGivesExactlyItsDiagnostics()
            throws IOException, URISyntaxException {
        Path table = Path.of(getClass().getResource("/policies/bad").toURI());
        List<Path> cases;
        try (Stream<Path> s = Files.list(table)) {
            cases =
                    s.filter(p -> Files.isDirectory(p) || p.toString().endsWith(".yaml"))
                            .sorted()
                            .toList();
        }
        assertThat(cases).hasSizeGreaterThan(10);
        return cases.stream().map(c -> DynamicTest.dynamicTest(name(c), () -> check(table, c)));
    }

    private static String name(Path c) {
        return c.getFileName().toString().replaceFirst("\\.yaml$", "");
    }

    private void check(Path table, Path c) throws IOException {
        Path dir = temp.resolve(name(c)).resolve("policy");
        if (Files.isDirectory(c)) {
            copyTree(c, dir);
        } else {
            Files.createDirectories(dir);
            Files.copy(c, dir.resolve(PolicySource.MAIN));
        }
        List<String> got = new ArrayList<>();
        try {
            PolicyCompiler.Output out =
                    PolicyCompiler.compile(PolicySource.directory(dir, Path.of("policy")));
            out.warnings().forEach(d -> got.add(d.toString()));
        } catch (PolicyException e) {
            e.diagnostics().forEach(d -> got.add(d.toString()));
        }
        Path expectedFile = table.resolve(name(c) + ".expected");
        if (Boolean.getBoolean("bulwark.regenerate")) {
            Path source = Path.of("src/test/resources/policies/bad").resolve(name(c) + ".expected");
            Files.writeString(source, String.join("\n", got) + "\n", StandardCharsets.UTF_8);
            return;
        }
        assertThat(expectedFile).as("expected diagnostics for " + name(c)).exists();
        List<String> expected =
                Files.readAllLines(expectedFile, StandardCharsets.UTF_8).stream()
                        .filter(l -> !l.isBlank())
                        .toList();
        assertThat(got).as("diagnostics of " + name(c)).containsExactlyElementsOf(expected);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
