package dev.bulwark.cli;

import dev.bulwark.runtime.RuntimeIntegrity;
import dev.bulwark.runtime.RuntimeManifest;
import dev.bulwark.runtime.Verification;

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
final class VerifyCommand {
    private VerifyCommand() {}

    private static final int MAX_LISTED = 50;

    static int run(String[] args, PrintStream out, PrintStream err) {
        Optional<Path> keyFile = Optional.empty();
        Optional<Path> dir = Optional.empty();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--key") && i + 1 < args.length) {
                keyFile = Optional.of(Path.of(args[++i]));
            } else if (!args[i].startsWith("-") && dir.isEmpty()) {
                dir = Optional.of(Path.of(args[i]));
            } else {
                return usage(err);
            }
        }
        Optional<Path> home = dir.or(RuntimeIntegrity::home);
        if (home.isEmpty()) {
            err.println(
                    "bulwark: not running from a runtime: give the runtime directory to verify");
            return usage(err);
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

    private static int usage(PrintStream err) {
        err.println("usage: bulwark verify [--key PUBLIC_KEY.pem] [RUNTIME_DIR]");
        return 2;
    }
}
