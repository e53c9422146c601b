package dev.bulwark.cli;

import java.io.PrintStream;

/** The command line: {@code serve}, {@code demo}, {@code check}, {@code policy}, {@code verify}, {@code fleet}. */
public final class Cli {
    private Cli() {}

    public static int run(String[] args, PrintStream out, PrintStream err) {
        err.println("usage: bulwark <command>");
        return 2;
    }
}
