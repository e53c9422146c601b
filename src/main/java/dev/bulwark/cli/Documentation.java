package dev.bulwark.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Build-time tool, run by Maven at {@code process-classes} (ADR 0017): writes, from the same
 * picocli model that parses the command line, one man page per command ({@code man/man1/bulwark.1},
 * {@code bulwark-check.1}, {@code bulwark-policy-compile.1}, ...) and the bash completion script
 * ({@code completion/bulwark.bash}). The pages are troff (man(7) macros) written directly:
 * picocli's own generator writes AsciiDoc, and Asciidoctor is not available offline. The output is
 * a function of the command tree and the version only, so builds stay reproducible.
 *
 * <p>Usage: {@code Documentation OUTPUT_DIR VERSION}.
 */
public final class Documentation {
    private Documentation() {}

    /** Where the pages go under the output directory, as in a man path. */
    static final String MAN_DIR = "man/man1";

    /** The completion script under the output directory. */
    static final String COMPLETION = "completion/bulwark.bash";

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: Documentation OUTPUT_DIR VERSION");
            System.exit(Cli.USAGE);
        }
        List<Path> written = write(Path.of(args[0]), args[1]);
        System.err.println(
                "documentation: "
                        + written.size()
                        + " files in "
                        + Path.of(args[0]).toAbsolutePath());
    }

    /** Writes every man page and the completion script; returns the files written. */
    static List<Path> write(Path out, String version) throws IOException {
        CommandLine root = Cli.commandLine();
        Path man = Files.createDirectories(out.resolve(MAN_DIR));
        try (var old = Files.list(man)) {
            for (Path p : old.toList()) {
                Files.delete(p);
            }
        }
        List<Path> written = new ArrayList<>();
        for (CommandLine c : commands(root)) {
            Path page = man.resolve(pageName(c.getCommandSpec()) + ".1");
            Files.writeString(page, manPage(c, version), StandardCharsets.UTF_8);
            written.add(page);
        }
        Path completion = out.resolve(COMPLETION);
        Files.createDirectories(completion.getParent());
        Files.writeString(completion, AutoComplete.bash("bulwark", root), StandardCharsets.UTF_8);
        written.add(completion);
        return written;
    }

    /** Every command of the tree, depth first, but not picocli's {@code help}. */
    static List<CommandLine> commands(CommandLine c) {
        List<CommandLine> all = new ArrayList<>();
        if (!(c.getCommand() instanceof CommandLine.HelpCommand)) {
            all.add(c);
            for (CommandLine sub : c.getSubcommands().values()) {
                all.addAll(commands(sub));
            }
        }
        return all;
    }

    /** {@code bulwark}, {@code bulwark-check}, {@code bulwark-policy-compile}. */
    static String pageName(CommandSpec spec) {
        return spec.qualifiedName("-");
    }

    /** One command's page in man(7) macros. */
    static String manPage(CommandLine c, String version) {
        CommandSpec spec = c.getCommandSpec();
        String name = pageName(spec);
        StringBuilder t = new StringBuilder();
        t.append(
                ".\\\" Generated at build time from the command line's picocli model: do not"
                        + " edit.\n");
        t.append(".TH \"")
                .append(name.toUpperCase(java.util.Locale.ROOT))
                .append("\" \"1\" \"\" \"Bulwark ")
                .append(escape(version))
                .append("\" \"Bulwark Manual\"\n");
        t.append(".SH NAME\n").append(escape(name)).append(" \\- ");
        String[] header = spec.usageMessage().header();
        t.append(escape(header.length > 0 ? header[0] : spec.qualifiedName())).append('\n');

        t.append(".SH SYNOPSIS\n.nf\n");
        for (String line : c.getHelp().synopsis(0).stripTrailing().split("\n")) {
            t.append(escape(line)).append('\n');
        }
        t.append(".fi\n");

        t.append(".SH DESCRIPTION\n");
        for (String paragraph : spec.usageMessage().description()) {
            t.append(".PP\n").append(escape(paragraph)).append('\n');
        }

        List<PositionalParamSpec> positionals = spec.positionalParameters();
        if (!positionals.isEmpty()) {
            t.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : positionals) {
                t.append(".TP\n.I ").append(escape(p.paramLabel())).append('\n');
                t.append(escape(String.join(" ", p.description()))).append('\n');
            }
        }

        t.append(".SH OPTIONS\n");
        for (OptionSpec o : spec.options()) {
            t.append(".TP\n").append(optionTerm(o)).append('\n');
            t.append(escape(describe(o))).append('\n');
        }

        Map<String, CommandLine> subs = c.getSubcommands();
        if (!subs.isEmpty()) {
            t.append(".SH COMMANDS\n");
            for (CommandLine sub : subs.values()) {
                CommandSpec s = sub.getCommandSpec();
                String[] h = s.usageMessage().header();
                String summary =
                        h.length > 0 ? h[0] : String.join(" ", s.usageMessage().description());
                t.append(".TP\n.B ").append(escape(s.name())).append('\n');
                t.append(escape(summary));
                if (!(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                    t.append(" See ").append(escape(pageName(s))).append("(1).");
                }
                t.append('\n');
            }
        }

        Map<String, String> exits = spec.usageMessage().exitCodeList();
        if (!exits.isEmpty()) {
            t.append(".SH \"EXIT STATUS\"\n");
            for (Map.Entry<String, String> e : exits.entrySet()) {
                t.append(".TP\n.B ").append(escape(e.getKey().strip())).append('\n');
                t.append(escape(e.getValue())).append('\n');
            }
        }

        t.append(".SH \"SEE ALSO\"\n");
        List<String> see = new ArrayList<>();
        if (spec.parent() != null) {
            see.add("\\fB" + escape(pageName(spec.parent())) + "\\fR(1)");
        }
        for (CommandLine sub : subs.values()) {
            if (!(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                see.add("\\fB" + escape(pageName(sub.getCommandSpec())) + "\\fR(1)");
            }
        }
        see.add("the README and src/docs in the source repository");
        t.append(String.join(", ", see)).append('\n');
        return t.toString();
    }

    /** {@code \fB\-\-policy\fR=\fIDIR\fR}: the names in bold, the value in italics. */
    private static String optionTerm(OptionSpec o) {
        StringBuilder b = new StringBuilder();
        String[] names = o.names();
        for (int i = 0; i < names.length; i++) {
            b.append(i == 0 ? "" : ", ").append("\\fB").append(escape(names[i])).append("\\fR");
        }
        if (o.arity().max() > 0) {
            b.append("=\\fI").append(escape(o.paramLabel())).append("\\fR");
        }
        return b.toString();
    }

    /** The option's description with its default value filled in, as {@code --help} shows it. */
    private static String describe(OptionSpec o) {
        String text = String.join(" ", o.description());
        if (text.contains("${DEFAULT-VALUE}")) {
            text = text.replace("${DEFAULT-VALUE}", String.valueOf(o.defaultValueString()));
        }
        return text;
    }

    /**
     * Text safe in a troff line: backslashes and hyphens escaped, and a line that would start with
     * a control character ({@code .} or {@code '}) protected by a zero-width {@code \&}.
     */
    static String escape(String s) {
        String e = s.replace("\\", "\\e").replace("-", "\\-");
        return e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e;
    }
}
