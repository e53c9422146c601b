package dev.bulwark.cli;

import dev.bulwark.audit.ChainVerifier;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code bulwark audit verify [--head HASH] FILE...}: proves audit files hold whole chains ({@link
 * ChainVerifier}).
 */
@Command(
        name = "audit",
        header = "Verifies a node's audit trail.",
        description = "The hash-chained audit trail a node writes (ADR 0018).",
        subcommands = AuditCommand.Verify.class)
final class AuditCommand {

    private AuditCommand() {}

    @Command(
            name = "verify",
            header = "Proves that no audit record was removed, reordered or altered.",
            description =
                    "Reads audit files in order (oldest first: rotated files, several boots in one"
                        + " file) and checks every record's hash of the one before it, from each"
                        + " chain's genesis record; names the first bad line.",
            exitCodeList = {
                "0:every record is in its chain (and the anchored head was found)",
                "1:a record was removed, reordered or altered (file:line: error: names it)",
                "2:usage error"
            })
    static final class Verify implements Cli.Action {
        @Option(
                names = "--head",
                paramLabel = "HASH",
                description =
                        "a chain head anchored elsewhere earlier (/version's audit_chain_head):"
                                + " some record must have it, so cut-off records are found too")
        private Optional<String> head = Optional.empty();

        @Parameters(arity = "1..*", paramLabel = "FILE", description = "audit files, oldest first")
        private List<Path> files = new ArrayList<>();

        @Override
        public int run(PrintStream out, PrintStream err) {
            return ChainVerifier.run(files, head.map(h -> h.toLowerCase(Locale.ROOT)), out, err);
        }
    }
}
