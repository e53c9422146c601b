package dev.bulwark.cli;

import dev.bulwark.site.SiteCheck;
import dev.bulwark.site.SiteSettings;
import dev.bulwark.site.SiteSettingsException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code bulwark site check [--image [--metrics-port N]] FILE}: checks a site file without starting
 * a node. Only the command line is read here; the checking is {@link SiteCheck}'s.
 */
@Command(
        name = "site",
        header = "Checks site settings.",
        description = "Site settings: the per-installation part of a node's configuration.",
        subcommands = {SiteCommand.Check.class, SiteCommand.Firewall.class})
final class SiteCommand {

    private SiteCommand() {}

    @Command(
            name = "check",
            header = "Checks a site settings file without starting a node.",
            description = "Checks a site settings file without starting a node.",
            exitCodeList = {
                "0:the settings are valid",
                "2:usage error",
                "78:the settings are invalid (every problem is listed)"
            })
    static final class Check implements Cli.Action {
        @Spec private CommandSpec spec;

        @Option(
                names = "--image",
                description = "also check what the VM image needs (its ports, no external files)")
        private boolean image;

        @Option(
                names = "--metrics-port",
                paramLabel = "N",
                description = "the image's operations port (default: ${DEFAULT-VALUE})")
        private int metricsPort = SiteCheck.Image.DEFAULT.metricsPort();

        @Parameters(paramLabel = "FILE", description = "the site settings file")
        private Path file;

        @Override
        public int run(PrintStream out, PrintStream err) {
            if (metricsPort < 1 || metricsPort > 65535) {
                throw new ParameterException(
                        spec.commandLine(),
                        "invalid value for option '--metrics-port': "
                                + metricsPort
                                + " is not a port (1 to 65535)");
            }
            return SiteCommand.check(
                    file,
                    image ? Optional.of(SiteCheck.Image.DEFAULT) : Optional.empty(),
                    metricsPort,
                    out,
                    err);
        }
    }

    @Command(
            name = "firewall",
            header = "Prints the nft statements that open the metrics port to metrics.allow.",
            description =
                    "Reads a site settings file as serve does and prints the nftables statements"
                            + " that fill the image firewall's sets metrics4 and metrics6 with the"
                            + " networks of metrics.allow (the image's bulwark-firewall.service"
                            + " pipes them into nft -f -).",
            exitCodeList = {
                "0:printed",
                "2:usage error",
                "78:the settings are invalid (every problem is listed)"
            })
    static final class Firewall implements Cli.Action {
        @Parameters(paramLabel = "FILE", description = "the site settings file")
        private Path file;

        @Override
        public int run(PrintStream out, PrintStream err) {
            try {
                SiteSettings site = SiteSettings.load(Optional.of(file), System.getenv());
                out.print(dev.bulwark.site.Firewall.metricsSets(site.metricsAllow()));
                return 0;
            } catch (SiteSettingsException e) {
                e.problems().forEach(err::println);
                return SiteCheck.INVALID;
            }
        }
    }

    private static int check(
            Path file,
            Optional<SiteCheck.Image> image,
            int port,
            PrintStream out,
            PrintStream err) {
        List<String> problems =
                SiteCheck.check(
                        file,
                        image.map(i -> new SiteCheck.Image(i.smtpPort(), port)),
                        System.getenv());
        if (problems.isEmpty()) {
            out.println(file + ": valid" + (image.isPresent() ? " for the image" : ""));
            return 0;
        }
        problems.forEach(err::println);
        return SiteCheck.INVALID;
    }
}
