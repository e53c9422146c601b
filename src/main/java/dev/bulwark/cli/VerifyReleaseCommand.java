package dev.bulwark.cli;

import dev.bulwark.runtime.ReleaseRecord;
import dev.bulwark.runtime.ReleaseVerification;
import dev.bulwark.runtime.RuntimeIntegrity;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
@Command(
        name = "verify-release",
        header = "Checks a release record and the files it names.",
        description =
                "Recomputes the SHA-256 of each file given (runtime archive, image, Packer"
                        + " manifest) against the release record, cross-checks the runtime's"
                        + " manifest, signature and SBOM, and verifies the record's signature.",
        exitCodeList = {
            "0:every field and file matches (and the signature verifies, if signed)",
            "1:refused: each line names the record's field that differs",
            "2:usage error, or an unreadable --key"
        })
final class VerifyReleaseCommand implements Cli.Action {

    @Option(
            names = "--key",
            paramLabel = "PUBLIC_KEY.pem",
            description = "require a signature by this Ed25519 public key")
    private Optional<Path> keyFile = Optional.empty();

    @Parameters(
            arity = "1..*",
            paramLabel = "FILE",
            description = "the release record, then any of the files it names")
    private List<Path> paths = new ArrayList<>();

    @Override
    public int run(PrintStream out, PrintStream err) {
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
}
