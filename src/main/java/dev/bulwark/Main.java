package dev.bulwark;

import dev.bulwark.ops.logging.JournalStream;

/**
 * Entry point: hands the command line to the CLI. What a command prints on standard error is an
 * error; in the systemd journal each line of it carries priority err.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(dev.bulwark.cli.Cli.run(args, System.out, JournalStream.errors(System.err)));
    }
}
