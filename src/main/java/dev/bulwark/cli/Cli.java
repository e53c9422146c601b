package dev.bulwark.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The command line, on picocli (ADR 0017). Each command is one annotated class in this package that
 * implements {@link Action}: picocli fills its fields from the arguments, then {@link
 * Action#run(PrintStream, PrintStream)} runs with the streams given to {@link #run}. Adding a
 * command is adding its class to the {@code subcommands} of {@link Bulwark} (or of its group).
 * Help, {@code --version}, usage errors (exit 2, naming the argument), man pages and shell
 * completion all come from that one model.
 */
public final class Cli {
    private Cli() {}

    /** Exit status for a usage error: an unknown option, a missing or malformed argument. */
    static final int USAGE = 2;

    /**
     * Exit status when a command fails with an exception it does not handle (sysexits EX_SOFTWARE):
     * never 1, which several commands use for an answer (check: reject).
     */
    static final int INTERNAL_ERROR = 70;

    /** What a command does once picocli has filled its fields. */
    interface Action {
        /**
         * Runs the command. Returns its exit status; a usage mistake found only now (two options
         * that exclude each other, a value out of range) is a {@link ParameterException}.
         */
        int run(PrintStream out, PrintStream err);
    }

    /** The root of the command tree. */
    @Command(
            name = "bulwark",
            header = "An inbound SMTP filtering relay with a compiled, tested policy.",
            description = {
                "Bulwark relays inbound mail to the next hop after a policy compiled into its"
                        + " runtime has judged it.",
                "Each command has --help and a man page, bulwark-COMMAND(1)."
            },
            exitCodeList = {
                "0:the command succeeded",
                "2:usage error: an unknown command or option, a missing or malformed argument",
                "70:internal error (a bug: please report it with the output)"
            },
            footerHeading = "%nSee also:%n",
            footer = {"bulwark <command> --help, man bulwark-<command>"})
    static final class Bulwark {}

    /**
     * The commands under {@code bulwark}, in the order help lists them. Adding a command is adding
     * its class here (or to its group's {@code subcommands}).
     */
    static final List<Class<?>> COMMANDS =
            List.of(
                    ServeCommand.class,
                    DemoCommand.class,
                    CheckCommand.class,
                    PolicyCommand.class,
                    FleetCommand.class,
                    VersionCommand.class,
                    VerifyCommand.class,
                    SiteCommand.class,
                    ClassifierCommand.class,
                    AuditCommand.class,
                    ReleaseCommand.class,
                    VerifyReleaseCommand.class,
                    CommandLine.HelpCommand.class);

    public static int run(String[] args, PrintStream out, PrintStream err) {
        return switch (args.length == 0 ? "" : args[0]) {
            // A command not on picocli yet is wired here, one case each, until it moves into the
            // tree: case "name" -> NameCommand.run(Arrays.copyOfRange(args, 1, args.length), ...);
            case "serve" ->
                    ServeCommand.quick(args)
                            .map(serve -> serve.run(out, err))
                            .orElseGet(() -> execute(args, out, err));
            default -> execute(args, out, err);
        };
    }

    private static int execute(String[] args, PrintStream out, PrintStream err) {
        CommandLine cli = commandLine(args.length == 0 ? "" : args[0]);
        PrintWriter outWriter = new PrintWriter(out, true, StandardCharsets.UTF_8);
        PrintWriter errWriter = new PrintWriter(err, true, StandardCharsets.UTF_8);
        cli.setOut(outWriter);
        cli.setErr(errWriter);
        // "--corpus a --jobz 2": a mistyped option is an error, not a folder named --jobz.
        cli.setUnmatchedOptionsAllowedAsOptionParameters(false);
        cli.setParameterExceptionHandler((e, a) -> usageError(e));
        cli.setExitCodeExceptionMapper(e -> INTERNAL_ERROR);
        cli.setExecutionStrategy(
                parsed -> {
                    Integer helped = CommandLine.executeHelpRequest(parsed);
                    if (helped != null) {
                        return helped;
                    }
                    List<CommandLine> chain = parsed.asCommandLineList();
                    CommandLine last = chain.get(chain.size() - 1);
                    Object command = last.getCommand();
                    if (command instanceof Action action) {
                        return action.run(out, err);
                    }
                    if (command instanceof CommandLine.HelpCommand help) {
                        help.run();
                        return 0;
                    }
                    throw new ParameterException(last, "name a command");
                });
        try {
            return cli.execute(args);
        } finally {
            outWriter.flush();
            errWriter.flush();
        }
    }

    /**
     * The problem, naming the argument, then how to call the command: a group's whole usage (its
     * commands), a command's synopsis and where its help is.
     */
    private static int usageError(ParameterException e) {
        CommandLine c = e.getCommandLine();
        PrintWriter err = c.getErr();
        CommandSpec spec = c.getCommandSpec();
        err.println(spec.qualifiedName() + ": " + e.getMessage());
        if (!c.getSubcommands().isEmpty()) {
            c.usage(err);
        } else {
            err.print(c.getHelp().synopsisHeading() + c.getHelp().synopsis(0));
            err.println("Try '" + spec.qualifiedName() + " --help' for more information.");
        }
        err.flush();
        return USAGE;
    }

    /**
     * The whole command tree, with what every command shares: {@code --help} and {@code --version},
     * the usage layout, plain text (no colours: the same text in a terminal, a pipe and a man
     * page).
     */
    static CommandLine commandLine() {
        return commandLine("");
    }

    /**
     * The tree with only the command named {@code first} under the root when there is one by that
     * name (other than {@code help}), otherwise the whole tree. picocli reflects over every class
     * it is given: building one command instead of seventeen keeps {@code bulwark serve} quick to
     * start (ADR 0017).
     */
    static CommandLine commandLine(String first) {
        CommandLine root = new CommandLine(new Bulwark());
        List<Class<?>> named =
                COMMANDS.stream()
                        .filter(c -> c.getAnnotation(Command.class).name().equals(first))
                        // help explains any command: it needs them all.
                        .filter(c -> c != CommandLine.HelpCommand.class)
                        .toList();
        for (Class<?> c : named.isEmpty() ? COMMANDS : named) {
            root.addSubcommand(c);
        }
        share(root);
        return root;
    }

    private static void share(CommandLine c) {
        CommandSpec spec = c.getCommandSpec();
        if (!(c.getCommand() instanceof CommandLine.HelpCommand)) {
            spec.mixinStandardHelpOptions(true);
            spec.versionProvider(new VersionCommand.Provider());
        }
        spec.usageMessage()
                .synopsisHeading("usage: ")
                .commandListHeading("%nCommands:%n")
                .optionListHeading("%nOptions:%n")
                .parameterListHeading("%nArguments:%n")
                .exitCodeListHeading(
                        spec.usageMessage().exitCodeList().isEmpty() ? "" : "%nExit status:%n")
                .descriptionHeading("%n")
                .headerHeading("")
                .abbreviateSynopsis(false)
                .sortOptions(false)
                .width(100);
        c.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        for (CommandLine sub : c.getSubcommands().values()) {
            share(sub);
        }
    }
}
