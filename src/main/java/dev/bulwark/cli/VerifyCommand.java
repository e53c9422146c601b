package dev.bulwark.cli;

import dev.bulwark.runtime.RuntimeIntegrity;
import dev.bulwark.runtime.RuntimeManifest;
import dev.bulwark.runtime.Verification;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Optional;

/**
 * {@code bulwark verify [--key PUBLIC_KEY.pem] [RUNTIME_DIR]}: checks every file of a runtime (this
 * one by default) against its manifest, and the signature. Exit 0 when everything matches, 1 on any
 * difference (every difference listed, the first mismatching file first), 2 on bad usage.
 */
@Command(
        name = "verify",
        header = "Checks every file of a runtime against its signed manifest.",
        description =
                "Checks every file of a runtime (this one by default) against its manifest, and the"
                        + " manifest's signature; lists every difference, the first mismatching"
                        + " file first.",
        exitCodeList = {
            "0:every file matches and the signature is valid (or the build is unsigned)",
            "1:a file differs, is missing or extra, or the signature is invalid",
            "2:usage error, or an unreadable --key"
        })
final class VerifyCommand implements Cli.Action {

    private static final int MAX_LISTED = 50;

    @Spec private CommandSpec spec;

    @Option(
            names = "--key",
            paramLabel = "PUBLIC_KEY.pem",
            description = "require a signature by this Ed25519 public key")
    private Optional<Path> keyFile = Optional.empty();

    @Parameters(
            paramLabel = "RUNTIME_DIR",
            arity = "0..1",
            description = "the runtime to verify (default: the one this command runs from)")
    private Optional<Path> dir = Optional.empty();

    @Override
    public int run(PrintStream out, PrintStream err) {
        Optional<Path> home = dir.or(RuntimeIntegrity::home);
        if (home.isEmpty()) {
            throw new ParameterException(
                    spec.commandLine(),
                    "not running from a runtime: give the runtime directory to verify");
        }
        Optional<PublicKey> key = Optional.empty();
        if (keyFile.isPresent()) {
            try {
                key = Optional.of(RuntimeIntegrity.readPublicKey(keyFile.get()));
            } catch (IOException e) {
                err.println("bulwark: " + e.getMessage());
                return 2;
            }
        }
        Verification v = RuntimeIntegrity.verify(home.get(), key);
        if (!v.ok()) {
            err.println("bulwark: the runtime " + home.get() + " does not match its manifest:");
            v.problems().stream().limit(MAX_LISTED).forEach(p -> err.println("  " + p));
            if (v.problems().size() > MAX_LISTED) {
                err.println("  ... and " + (v.problems().size() - MAX_LISTED) + " more");
            }
            return 1;
        }
        RuntimeManifest m = v.manifest().orElseThrow();
        out.println(
                "verified "
                        + home.get()
                        + ": "
                        + m.files().size()
                        + " files match "
                        + RuntimeManifest.FILE
                        + ", policy "
                        + m.policyDigest()
                        + ", "
                        + m.signingKey()
                                .map(k -> "signed by Ed25519 key " + k.fingerprint())
                                .orElse("unsigned"));
        return 0;
    }
}
