package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Every command of the tree, walked: help, version, usage errors, documented exit status. */
class CommandTreeTest {

    private record Run(int code, String out, String err) {}

    private static Run cli(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code =
                Cli.run(
                        args.toArray(String[]::new),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(
                code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The words that name a command: {@code [policy, compile]}. */
    private static List<String> words(CommandSpec spec) {
        List<String> w = new ArrayList<>();
        for (CommandSpec s = spec; s.parent() != null; s = s.parent()) {
            w.add(0, s.name());
        }
        return w;
    }

    private static Stream<CommandLine> commands() {
        return Documentation.commands(Cli.commandLine()).stream();
    }

    private static List<String> with(List<String> words, String... more) {
        List<String> all = new ArrayList<>(words);
        all.addAll(List.of(more));
        return all;
    }

    @Test
    void theTreeHasEveryCommandOfTheManual() {
        assertThat(commands().map(c -> c.getCommandSpec().qualifiedName()))
                .containsExactlyInAnyOrder(
                        "bulwark",
                        "bulwark serve",
                        "bulwark demo",
                        "bulwark check",
                        "bulwark policy",
                        "bulwark policy compile",
                        "bulwark policy test",
                        "bulwark policy measure",
                        "bulwark policy diff",
                        "bulwark fleet",
                        "bulwark version",
                        "bulwark verify",
                        "bulwark site",
                        "bulwark site check",
                        "bulwark site firewall",
                        "bulwark classifier",
                        "bulwark classifier train",
                        "bulwark classifier measure",
                        "bulwark audit",
                        "bulwark audit verify",
                        "bulwark release",
                        "bulwark release record",
                        "bulwark verify-release");
    }

    @TestFactory
    Stream<DynamicTest> everyCommandExplainsItselfWithHelp() {
        return commands()
                .map(
                        c ->
                                DynamicTest.dynamicTest(
                                        c.getCommandSpec().qualifiedName() + " --help",
                                        () -> {
                                            CommandSpec spec = c.getCommandSpec();
                                            Run r = cli(with(words(spec), "--help"));
                                            assertThat(r.code).isZero();
                                            assertThat(r.err).isEmpty();
                                            assertThat(r.out)
                                                    .startsWith(spec.usageMessage().header()[0])
                                                    .contains(
                                                            "usage: " + spec.qualifiedName() + " ")
                                                    .contains("--help", "--version");
                                        }));
    }

    @TestFactory
    Stream<DynamicTest> everyCommandTellsItsVersion() {
        return commands()
                .map(
                        c ->
                                DynamicTest.dynamicTest(
                                        c.getCommandSpec().qualifiedName() + " --version",
                                        () -> {
                                            Run r =
                                                    cli(
                                                            with(
                                                                    words(c.getCommandSpec()),
                                                                    "--version"));
                                            assertThat(r.code).isZero();
                                            assertThat(r.out).startsWith("bulwark ");
                                        }));
    }

    @TestFactory
    Stream<DynamicTest> everyCommandNamesAnUnknownOptionAndExitsTwo() {
        return commands()
                .map(
                        c ->
                                DynamicTest.dynamicTest(
                                        c.getCommandSpec().qualifiedName() + " --no-such-option",
                                        () -> unknownOptionIsNamed(c.getCommandSpec())));
    }

    private static void unknownOptionIsNamed(CommandSpec spec) {
        // Every required argument given, so that the option is the only mistake.
        List<String> args = new ArrayList<>(words(spec));
        spec.positionalParameters().stream()
                .filter(p -> p.required())
                .forEach(
                        p -> {
                            for (int i = 0; i < Math.max(1, p.arity().min()); i++) {
                                args.add("x");
                            }
                        });
        spec.options().stream()
                .filter(o -> o.required())
                .forEach(
                        o -> {
                            args.add(o.longestName());
                            if (o.arity().min() > 0) {
                                args.add("x");
                            }
                        });
        args.add("--no-such-option");
        Run r = cli(args);
        assertThat(r.code).isEqualTo(Cli.USAGE);
        assertThat(r.out).isEmpty();
        assertThat(r.err)
                .startsWith(spec.qualifiedName() + ": Unknown option: '--no-such-option'")
                .contains("usage: " + spec.qualifiedName());
    }

    @TestFactory
    Stream<DynamicTest> everyCommandThatRunsDocumentsItsExitStatus() {
        return commands()
                .filter(c -> c.getCommand() instanceof Cli.Action)
                .map(
                        c ->
                                DynamicTest.dynamicTest(
                                        c.getCommandSpec().qualifiedName(),
                                        () ->
                                                assertThat(
                                                                c.getCommandSpec()
                                                                        .usageMessage()
                                                                        .exitCodeList())
                                                        .containsKeys("0", "2")));
    }

    @Test
    void aGroupWithoutItsCommandListsItsCommands() {
        Run r = cli(List.of("policy"));
        assertThat(r.code).isEqualTo(2);
        assertThat(r.err)
                .startsWith("bulwark policy: name a command")
                .contains("  compile ", "  test ", "  measure ");
    }

    @Test
    void helpNamesTheCommandItExplains() {
        Run r = cli(List.of("help", "check"));
        assertThat(r.code).isZero();
        assertThat(r.out).contains("usage: bulwark check ", "Exit status:", "3   deferred");
    }

    @Test
    void aMissingArgumentIsNamed() {
        Run r = cli(List.of("site", "check"));
        assertThat(r.code).isEqualTo(2);
        assertThat(r.err).startsWith("bulwark site check: Missing required parameter: 'FILE'");
    }

    @Test
    void aMalformedNumberIsNamed() {
        Run r = cli(List.of("demo", "--port", "many"));
        assertThat(r.code).isEqualTo(2);
        assertThat(r.err)
                .startsWith(
                        "bulwark demo: Invalid value for option '--port': 'many' is not an int");
    }
}
