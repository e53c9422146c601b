package dev.bulwark.cli;

import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Diagnostic;
import dev.bulwark.policy.Envelope;
import dev.bulwark.policy.PolicyException;
import dev.bulwark.policy.diff.DiffReport;
import dev.bulwark.policy.diff.PolicyDiff;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code bulwark policy diff OLD NEW --corpus DIR... [--format text|markdown] [--jobs N]
 * [--max-listed N]}: what changing policy OLD into NEW does to the corpus. Exit 0 when no message
 * changed, 1 when some did (so CI can flag the pull request), 2 on bad usage, 65 (EX_DATAERR) when
 * a policy does not compile, 66 (EX_NOINPUT) when a corpus folder or message cannot be read.
 */
@Command(
        name = "diff",
        header = "Shows what changing one policy into another does to a corpus of mail.",
        description =
                "Compiles both policies, runs each over every message of the corpus folders and"
                        + " lists every message whose verdict, score band or fired rules changed,"
                        + " with totals per folder; Markdown output for a pull request.",
        exitCodeList = {
            "0:no message changed",
            "1:some message changed (listed)",
            "2:usage error",
            "65:a policy does not compile (its file:line:column: error: lines are printed)",
            "66:a corpus folder or message cannot be read"
        })
final class PolicyDiffCommand implements Cli.Action {

    static final int SAME = 0;
    static final int CHANGED = 1;
    static final int DATA_ERROR = 65;
    static final int NO_INPUT = 66;

    /** How the report is written. */
    enum Format {
        text,
        markdown
    }

    @Parameters(
            arity = "2",
            paramLabel = "DIR",
            description = "the old policy directory, then the new one")
    private List<Path> dirs = new ArrayList<>();

    @Option(
            names = "--corpus",
            arity = "1..*",
            required = true,
            paramLabel = "FOLDER",
            description = "folders of messages (one file each) to run both policies over")
    private List<Path> corpus = new ArrayList<>();

    @Option(names = "--format", paramLabel = "FORMAT", description = "text (default) or markdown")
    private Format format = Format.text;

    @Option(
            names = "--jobs",
            paramLabel = "N",
            description = "messages judged at once (default: the cores, at most 8)")
    private int jobs = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 8));

    @Option(
            names = "--max-listed",
            paramLabel = "N",
            description = "changed messages listed at most (default 500); totals count them all")
    private int maxListed = 500;

    @Spec private CommandSpec spec;

    @Override
    public int run(PrintStream out, PrintStream err) {
        if (jobs < 1 || jobs > 99_999) {
            throw new ParameterException(
                    spec.commandLine(), "'" + jobs + "' is not a valid --jobs: 1 to 99999");
        }
        if (maxListed < 1 || maxListed > 99_999) {
            throw new ParameterException(
                    spec.commandLine(),
                    "'" + maxListed + "' is not a valid --max-listed: 1 to 99999");
        }
        boolean markdown = format == Format.markdown;
        Optional<CompiledPolicy> before = compile(dirs.get(0), err);
        Optional<CompiledPolicy> after = compile(dirs.get(1), err);
        if (before.isEmpty() || after.isEmpty()) {
            return DATA_ERROR;
        }
        String recipient = recipient(before.get(), after.get());
        InetAddress client = InetAddress.ofLiteral("198.51.100.25");
        long start = System.nanoTime();
        PolicyDiff.Result result;
        try {
            result =
                    PolicyDiff.run(
                            before.get(),
                            after.get(),
                            corpus,
                            m ->
                                    new Envelope(
                                            client,
                                            "mail.example.org",
                                            PolicyCommand.returnPath(m),
                                            List.of(recipient)),
                            jobs);
        } catch (NoSuchFileException e) {
            err.println("bulwark policy diff: " + e.getFile() + ": no such file or folder");
            return NO_INPUT;
        } catch (IOException e) {
            err.println("bulwark policy diff: cannot read the corpus: " + e);
            return NO_INPUT;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String oldName = dirs.get(0).toString();
        String newName = dirs.get(1).toString();
        out.print(
                markdown
                        ? DiffReport.markdown(result, oldName, newName, maxListed)
                        : DiffReport.text(result, oldName, newName, maxListed));
        err.printf(
                java.util.Locale.ROOT,
                "compared %d message(s) under both policies in %.1f s on %d thread(s),"
                        + " %.1f CPU-seconds (%.0f messages per CPU-second)%n",
                result.messages(),
                seconds,
                jobs,
                result.cpuNanos() / 1e9,
                result.messages() / Math.max(result.cpuNanos() / 1e9, 1e-9));
        return result.changed() ? CHANGED : SAME;
    }

    /** The compiled policy, or empty after printing its diagnostics. */
    private static Optional<CompiledPolicy> compile(Path dir, PrintStream err) {
        try {
            CompiledPolicy p = CompiledPolicy.compile(dir);
            for (Diagnostic d : p.warnings()) {
                err.println(d);
            }
            return Optional.of(p);
        } catch (PolicyException e) {
            err.print(e.report());
            e.diagnostics().forEach(err::println);
            err.println(dir + ": " + e.errors().size() + " error(s)");
        } catch (NoSuchFileException e) {
            err.println(e.getFile() + ": no such file");
        } catch (IOException e) {
            err.println(dir + ": cannot read the policy: " + e);
        }
        return Optional.empty();
    }

    /**
     * One recipient in the old policy's relay domains (the new one's if the old has none): both
     * policies see the same envelope, so a change to the relay domains shows as refusals.
     */
    private static String recipient(CompiledPolicy before, CompiledPolicy after) {
        return "user@"
                + java.util.stream.Stream.of(before, after)
                        .flatMap(p -> p.relayDomainEntries().stream())
                        .filter(d -> !d.startsWith("."))
                        .findFirst()
                        .orElse("example.com");
    }
}
