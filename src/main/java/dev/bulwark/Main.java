package dev.bulwark;

/** Entry point: hands the command line to the CLI. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(dev.bulwark.cli.Cli.run(args, System.out, System.err));
    }
}
