package dev.bulwark.cli;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * The command line: {@code serve}, {@code demo}, {@code check}, {@code policy}, {@code verify},
 * {@code fleet}.
 */
public final class Cli {
    private Cli() {}

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            return usage(err);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "serve" -> ServeCommand.run(rest, out, err);
            case "check" -> CheckCommand.run(rest, out, err);
            case "policy" -> PolicyCommand.run(rest, out, err);
            case "fleet" -> FleetCommand.run(rest, out, err);
            case "demo" -> DemoCommand.run(rest, out, err);
            case "version" -> VersionCommand.run(rest, out, err);
            case "verify" -> VerifyCommand.run(rest, out, err);
            case "release" -> ReleaseCommand.run(rest, out, err);
            case "verify-release" -> VerifyReleaseCommand.run(rest, out, err);
            case "site" -> SiteCommand.run(rest, out, err);
            case "classifier" -> ClassifierCommand.run(rest, out, err);
            case "audit" -> AuditCommand.run(rest, out, err);
            default -> usage(err);
        };
    }

    private static int usage(PrintStream err) {
        err.println("usage: bulwark <command>");
        err.println(
                "  serve [--site FILE] [--development]   the relay, with the policy compiled into"
                        + " this runtime");
        err.println(
                "  demo [--policy DIR] [--port N] [--no-samples]   (development: embedded next"
                        + " hop)");
        err.println(
                "  check [--policy DIR] [--client IP] [--helo NAME] [--from ADDR] [--to ADDR]..."
                        + " FILE");
        err.println("  policy compile DIR [--canonical] [--embed CLASSES_DIR]");
        err.println("  policy test DIR [--all]");
        err.println("  policy measure DIR --ham FOLDER... --spam FOLDER...");
        err.println(
                "  policy diff OLD_DIR NEW_DIR --corpus FOLDER... [--format text|markdown]"
                        + "   (exit 1 when a message changed)");
        err.println("  fleet [--timeout SECONDS] HOST:PORT...");
        err.println("  version");
        err.println("  verify [--key PUBLIC_KEY.pem] [RUNTIME_DIR]");
        err.println(
                "  release record --commit C --runtime ARCHIVE --image FILE --packer-manifest FILE"
                        + " [--key PRIVATE_KEY.pem] --out release.json");
        err.println("  verify-release RECORD [FILE...] [--key PUBLIC_KEY.pem]");
        err.println("  site check [--image [--metrics-port N]] FILE   (exit 78 when invalid)");
        err.println("  classifier train|measure ...   (bulwark classifier for its options)");
        err.println("  audit verify [--head HASH] FILE...   (audit files, oldest first)");
        return 2;
    }
}
