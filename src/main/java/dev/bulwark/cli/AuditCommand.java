package dev.bulwark.cli;

import dev.bulwark.audit.ChainVerifier;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code bulwark audit verify [--head HASH] FILE...}: proves audit files hold whole chains ({@link
 * ChainVerifier}). Exit 0 when they do, 1 naming the first bad line, 2 on bad usage.
 */
final class AuditCommand {
    private AuditCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || !args[0].equals("verify")) {
            return usage(err);
        }
        Optional<String> head = Optional.empty();
        List<Path> files = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--head") && i + 1 < args.length && head.isEmpty()) {
                head = Optional.of(args[++i].toLowerCase(java.util.Locale.ROOT));
            } else if (args[i].startsWith("-")) {
                return usage(err);
            } else {
                files.add(Path.of(args[i]));
            }
        }
        if (files.isEmpty()) {
            return usage(err);
        }
        return ChainVerifier.run(files, head, out, err);
    }

    private static int usage(PrintStream err) {
        err.println(
                "usage: bulwark audit verify [--head HASH] FILE...   (files in order, oldest"
                        + " first)");
        return 2;
    }
}
