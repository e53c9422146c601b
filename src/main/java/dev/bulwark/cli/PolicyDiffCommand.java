package dev.bulwark.cli;

import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Diagnostic;
import dev.bulwark.policy.Envelope;
import dev.bulwark.policy.PolicyException;
import dev.bulwark.policy.diff.DiffReport;
import dev.bulwark.policy.diff.PolicyDiff;

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
final class PolicyDiffCommand {
    private PolicyDiffCommand() {}

    static final int SAME = 0;
    static final int CHANGED = 1;
    static final int USAGE = 2;
    static final int DATA_ERROR = 65;
    static final int NO_INPUT = 66;

    private static final String USAGE_TEXT =
            "usage: bulwark policy diff OLD_DIR NEW_DIR --corpus FOLDER... [--format text|markdown]"
                    + " [--jobs N] [--max-listed N]";

    /** {@code args} starts with {@code diff}, as {@code PolicyCommand} hands it on. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        List<Path> dirs = new ArrayList<>();
        List<Path> corpus = new ArrayList<>();
        boolean markdown = false;
        int jobs = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 8));
        int maxListed = 500;
        boolean inCorpus = false;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--corpus" -> inCorpus = true;
                case "--format" -> {
                    String f = i + 1 < args.length ? args[++i] : "";
                    if (!f.equals("text") && !f.equals("markdown")) {
                        return usage(err, "'" + f + "' is not a valid --format: text or markdown");
                    }
                    markdown = f.equals("markdown");
                }
                case "--jobs", "--max-listed" -> {
                    Optional<Integer> n =
                            i + 1 < args.length ? number(args[++i]) : Optional.empty();
                    if (n.isEmpty()) {
                        return usage(
                                err,
                                "'"
                                        + (i < args.length ? args[i] : "")
                                        + "' is not a valid "
                                        + a
                                        + ": a number from 1 to 99999");
                    }
                    if (a.equals("--jobs")) {
                        jobs = n.get();
                    } else {
                        maxListed = n.get();
                    }
                }
                default -> {
                    if (a.startsWith("-")) {
                        return usage(err, "unknown option '" + a + "'");
                    }
                    (inCorpus ? corpus : dirs).add(Path.of(a));
                }
            }
        }
        if (dirs.size() != 2) {
            return usage(err, "name two policy directories, the old one and the new one");
        }
        if (corpus.isEmpty()) {
            return usage(err, "name at least one corpus folder after --corpus");
        }
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

    private static Optional<Integer> number(String s) {
        return s.matches("[1-9][0-9]{0,4}") ? Optional.of(Integer.parseInt(s)) : Optional.empty();
    }

    private static int usage(PrintStream err, String problem) {
        err.println("bulwark policy diff: " + problem);
        err.println(USAGE_TEXT);
        return USAGE;
    }
}
