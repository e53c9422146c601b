package dev.bulwark.cli;

import java.io.PrintStream;

/** The command line: {@code serve}, {@code demo}, {@code check}, {@code policy}, {@code verify}, {@code fleet}. */
public final class Cli {
    private Cli() {}

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length > 0 && args[0].equals("fleet")) {
            return FleetCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        err.println("usage: bulwark <command>");
        return 2;
    }
}
