package dev.bulwark.cli;

import dev.bulwark.site.SiteCheck;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code bulwark site check [--image [--metrics-port N]] FILE}: checks a site file without starting
 * a node. Only the command line is read here; the checking is {@link SiteCheck}'s.
 */
final class SiteCommand {

    private SiteCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || !args[0].equals("check")) {
            return usage(err);
        }
        Optional<SiteCheck.Image> image = Optional.empty();
        int metricsPort = SiteCheck.Image.DEFAULT.metricsPort();
        Path file = null;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--image" -> image = Optional.of(SiteCheck.Image.DEFAULT);
                case "--metrics-port" -> {
                    if (++i >= args.length || !args[i].matches("[0-9]{1,5}")) {
                        return usage(err);
                    }
                    metricsPort = Integer.parseInt(args[i]);
                }
                default -> {
                    if (args[i].startsWith("-") || file != null) {
                        return usage(err);
                    }
                    file = Path.of(args[i]);
                }
            }
        }
        if (file == null || metricsPort < 1 || metricsPort > 65535) {
            return usage(err);
        }
        int port = metricsPort;
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

    private static int usage(PrintStream err) {
        err.println("usage: bulwark site check [--image [--metrics-port N]] FILE");
        return 2;
    }
}
