package dev.bulwark.cli;

import dev.bulwark.runtime.ReleaseRecord;
import dev.bulwark.runtime.ReleaseVerification;
import dev.bulwark.runtime.RuntimeIntegrity;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code bulwark verify-release RECORD [FILE...] [--key PUBLIC_KEY.pem]}: recomputes the SHA-256 of
 * each file named (runtime archive, image, Packer manifest, SBOM) and checks the record's
 * signature. Exit 0 when everything matches, 1 on any difference (each line names the record's
 * field), 2 on bad usage.
 */
final class VerifyReleaseCommand {
    private VerifyReleaseCommand() {}

    private static final String USAGE_TEXT =
            "usage: bulwark verify-release RECORD [FILE...] [--key PUBLIC_KEY.pem]";

    static int run(String[] args, PrintStream out, PrintStream err) {
        Optional<Path> keyFile = Optional.empty();
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--key") && i + 1 < args.length && keyFile.isEmpty()) {
                keyFile = Optional.of(Path.of(args[++i]));
            } else if (args[i].startsWith("-")) {
                return usage(err, "unknown option '" + args[i] + "'");
            } else {
                paths.add(Path.of(args[i]));
            }
        }
        if (paths.isEmpty()) {
            return usage(err, "name the release record");
        }
        Optional<PublicKey> key = Optional.empty();
        if (keyFile.isPresent()) {
            try {
                key = Optional.of(RuntimeIntegrity.readPublicKey(keyFile.get()));
            } catch (IOException e) {
                err.println("bulwark verify-release: " + e.getMessage());
                return 2;
            }
        }
        Path record = paths.getFirst();
        ReleaseVerification v = ReleaseVerification.of(record, paths.subList(1, paths.size()), key);
        if (!v.ok()) {
            err.println("bulwark verify-release: " + record + " is refused:");
            v.problems().forEach(p -> err.println("  " + p));
            return 1;
        }
        ReleaseRecord r = v.record().orElseThrow();
        v.checked().forEach(c -> out.println("  match " + c));
        out.println(
                "verified "
                        + record
                        + ": commit "
                        + r.commit()
                        + ", version "
                        + r.version()
                        + ", policy "
                        + r.policyDigest()
                        + ", "
                        + v.checked().size()
                        + " file(s) match, "
                        + (v.signature().equals("unsigned")
                                ? "unsigned: only the hashes were checked"
                                : v.signature()
                                        + (key.isPresent()
                                                ? " (the required key)"
                                                : " (compare it with the key you trust, or pass"
                                                        + " --key)")));
        return 0;
    }

    private static int usage(PrintStream err, String problem) {
        err.println("bulwark verify-release: " + problem);
        err.println(USAGE_TEXT);
        return 2;
    }
}
