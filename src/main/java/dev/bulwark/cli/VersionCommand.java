package dev.bulwark.cli;

import dev.bulwark.runtime.RuntimeIntegrity;
import dev.bulwark.runtime.RuntimeManifest;
import dev.bulwark.runtime.Verification;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code bulwark version}: what this runtime is — version, commit, policy digest, signature state.
 * Checks the manifest's signature but not the file hashes (that is {@code verify}).
 */
final class VersionCommand {
    private VersionCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 0) {
            err.println("usage: bulwark version");
            return 2;
        }
        Optional<Path> home = RuntimeIntegrity.home();
        if (home.isEmpty()) {
            out.println("bulwark (development class path, not a runtime)");
            out.println(
                    "policy     "
                            + RuntimeIntegrity.classPathPolicyDigest().orElse("none compiled in"));
            return 0;
        }
        Verification v = RuntimeIntegrity.verifySignature(home.get());
        if (v.manifest().isEmpty()) {
            err.println(
                    "bulwark: cannot read the runtime's manifest: "
                            + v.firstProblem().orElseThrow());
            return 1;
        }
        RuntimeManifest m = v.manifest().get();
        out.println("bulwark " + m.version());
        out.println("commit     " + m.commit() + (m.dirty() ? " (dirty work tree)" : ""));
        out.println("policy     " + m.policyDigest());
        out.println("signature  " + signature(m, v));
        out.println("jdk        " + m.jdk());
        out.println("runtime    " + home.get());
        return v.ok() ? 0 : 1;
    }

    private static String signature(RuntimeManifest m, Verification v) {
        if (!v.ok()) {
            return "INVALID: " + v.firstProblem().orElseThrow();
        }
        return m.signingKey()
                .map(k -> "valid, Ed25519 key " + k.fingerprint())
                .orElse("unsigned (built without a signing key)");
    }
}
