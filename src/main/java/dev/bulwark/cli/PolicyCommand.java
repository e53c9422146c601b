package dev.bulwark.cli;

import dev.bulwark.check.Stage;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.ReversePath;
import dev.bulwark.flow.Gate;
import dev.bulwark.policy.Cases;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Diagnostic;
import dev.bulwark.policy.PolicyException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code policy compile DIR} prints diagnostics and the digest (and with {@code --embed} writes the
 * canonical form into a class-path directory: the build's step that bakes the policy into the
 * runtime); {@code policy test DIR} runs the gate; {@code policy measure} reports catch and
 * false-positive rates over corpus folders.
 */
@Command(
        name = "policy",
        header = "Compiles, tests and measures a policy.",
        description = "The policy: compile it, run its tests, measure it on corpus folders.",
        subcommands = {
            PolicyCommand.Compile.class,
            PolicyCommand.Test.class,
            PolicyCommand.Measure.class,
            PolicyDiffCommand.class
        })
final class PolicyCommand {
    private PolicyCommand() {}

    /** What every policy command shares: the directory, and how a broken policy is reported. */
    abstract static class OnPolicy implements Cli.Action {
        @Parameters(
                index = "0",
                paramLabel = "DIR",
                description = "the policy directory (inbound.yaml, lists, tests/)")
        Path dir;

        @Override
        public final int run(PrintStream out, PrintStream err) {
            try {
                return run(dir, out, err);
            } catch (PolicyException e) {
                err.print(e.report());
                e.diagnostics().forEach(err::println);
                err.println(e.errors().size() + " error(s)");
                return 1;
            } catch (NoSuchFileException e) {
                err.println(e.getFile() + ": no such file");
                return 1;
            } catch (IOException e) {
                err.println("cannot read the policy: " + e);
                return 1;
            }
        }

        abstract int run(Path dir, PrintStream out, PrintStream err)
                throws PolicyException, IOException;
    }

    @Command(
            name = "compile",
            header = "Compiles a policy and prints its digest.",
            description = {
                "Compiles a policy: prints every diagnostic (file:line:column: error: ...) and the"
                        + " digest."
            },
            exitCodeList = {
                "0:compiled (warnings are printed)",
                "1:the policy has errors, or cannot be read",
                "2:usage error"
            })
    static final class Compile extends OnPolicy {
        @Option(
                names = "--canonical",
                description = "print the canonical form the digest is taken over")
        private boolean canonical;

        @Option(
                names = "--embed",
                paramLabel = "CLASSES_DIR",
                description =
                        "write the compiled policy into this class-path directory (the build's step"
                                + " that bakes the policy into the runtime)")
        private Path embed;

        @Override
        int run(Path dir, PrintStream out, PrintStream err) throws PolicyException, IOException {
            return compile(dir, canonical, embed, out, err);
        }
    }

    @Command(
            name = "test",
            header = "Runs the policy's tests: the gate every build passes.",
            description =
                    "Runs the policy's tests (the gate): every case in tests/ must get its expected"
                            + " verdict; prints the mismatches with each rule's description.",
            exitCodeList = {
                "0:every case passed",
                "1:a case failed, or the policy has errors",
                "2:usage error"
            })
    static final class Test extends OnPolicy {
        @Option(names = "--all", description = "print every case, not only the failures")
        private boolean all;

        @Override
        int run(Path dir, PrintStream out, PrintStream err) throws PolicyException, IOException {
            return test(dir, all, out, err);
        }
    }

    @Command(
            name = "measure",
            header = "Measures a policy on corpus folders: catch and false-positive rates.",
            description =
                    "Runs every message of corpus folders through the policy and prints what it did"
                            + " per folder, the catch and false-positive rates, the confusion"
                            + " matrix and the rules that fired most on ham.",
            exitCodeList = {
                "0:measured",
                "1:the policy has errors, or a folder cannot be read",
                "2:usage error"
            })
    static final class Measure extends OnPolicy {
        @Spec private CommandSpec spec;

        @Option(
                names = "--ham",
                arity = "1..*",
                paramLabel = "FOLDER",
                description = "folders of ham messages")
        private List<Path> ham = new ArrayList<>();

        @Option(
                names = "--spam",
                arity = "1..*",
                paramLabel = "FOLDER",
                description = "folders of spam messages")
        private List<Path> spam = new ArrayList<>();

        @Option(names = "--verbose", description = "one line per message")
        private boolean verbose;

        @Option(
                names = "--rounds",
                paramLabel = "N",
                description =
                        "also measure the evaluation speed, best of N rounds (1 to 9999; default:"
                                + " ${DEFAULT-VALUE}, no speed)")
        private int rounds = 1;

        @Override
        int run(Path dir, PrintStream out, PrintStream err) throws PolicyException, IOException {
            if (rounds < 1 || rounds > 9999) {
                throw new ParameterException(
                        spec.commandLine(), "--rounds needs a number from 1 to 9999");
            }
            if (ham.isEmpty() && spam.isEmpty()) {
                throw new ParameterException(
                        spec.commandLine(), "name folders after --ham or --spam");
            }
            return PolicyMeasurement.measure(dir, ham, spam, verbose, rounds, out, err);
        }
    }

    static CompiledPolicy load(Path dir, PrintStream err) throws PolicyException, IOException {
        CompiledPolicy p = CompiledPolicy.compile(dir);
        for (Diagnostic d : p.warnings()) {
            err.println(d);
        }
        return p;
    }

    private static int compile(
            Path dir, boolean canonical, Path embed, PrintStream out, PrintStream err)
            throws PolicyException, IOException {
        CompiledPolicy p = load(dir, err);
        p.classifierReport().ifPresent(err::print);
        if (canonical) {
            out.print(p.canonicalForm());
        }
        if (embed != null) {
            p.writeEmbedded(embed);
            err.println(
                    "embedded policy "
                            + p.digest()
                            + " in "
                            + embed.resolve(CompiledPolicy.EMBEDDED_DIR));
        }
        out.println("digest " + p.digest());
        return 0;
    }

    private static int test(Path dir, boolean all, PrintStream out, PrintStream err)
            throws PolicyException, IOException {
        CompiledPolicy p = load(dir, err);
        List<Cases.Case> cases = Cases.load(dir, p);
        Gate.Report report = Gate.run(p, cases);
        if (all || report.failed() > 0) {
            out.print(report.table(all));
        }
        for (String note : report.coverage()) {
            out.println("note: " + note);
        }
        out.println("policy " + p.digest());
        out.println("policy-tests: " + report.passed() + " passed, " + report.failed() + " failed");
        return report.failed() == 0 ? 0 : 1;
    }

    /** The Return-Path header's address, which is what the sending MTA gave as MAIL FROM. */
    static ReversePath returnPath(byte[] message) {
        String head =
                new String(
                        message,
                        0,
                        Math.min(message.length, 8192),
                        java.nio.charset.StandardCharsets.ISO_8859_1);
        for (String line : head.split("\r\n")) {
            if (line.isEmpty()) {
                break;
            }
            if (line.regionMatches(true, 0, "Return-Path:", 0, 12)) {
                String v = line.substring(12).trim();
                try {
                    String path = v.startsWith("<") ? v : "<" + v + ">";
                    return dev.bulwark.envelope.Paths.parseReversePath(path);
                } catch (RuntimeException e) {
                    break;
                }
            }
        }
        return Mailbox.of("unknown@example.org");
    }

    static String stage(Stage s) {
        return s.key();
    }
}
