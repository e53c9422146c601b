package dev.bulwark.cli;

import dev.bulwark.runtime.RuntimeIntegrity;
import dev.bulwark.runtime.RuntimeManifest;
import dev.bulwark.runtime.Verification;

import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code bulwark version}: what this runtime is — version, commit, policy digest, signature state.
 * Checks the manifest's signature but not the file hashes (that is {@code verify}).
 */
@Command(
        name = "version",
        header = "Prints this runtime's version, commit, policy digest and signature.",
        description = {
            "Prints what this runtime is: its version, commit, policy digest and signature state.",
            "Checks the manifest's signature but not the files' hashes: that is bulwark verify."
        },
        exitCodeList = {
            "0:printed; the manifest's signature is valid (or the build is unsigned)",
            "1:the manifest is unreadable or its signature is invalid",
            "2:usage error"
        })
final class VersionCommand implements Cli.Action {

    /** {@code --version} of every command: the same lines as {@code bulwark version}. */
    static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            ByteArrayOutputStream lines = new ByteArrayOutputStream();
            PrintStream s = new PrintStream(lines, true, StandardCharsets.UTF_8);
            new VersionCommand().run(s, s);
            return lines.toString(StandardCharsets.UTF_8).split("\n");
        }
    }

    @Override
    public int run(PrintStream out, PrintStream err) {
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
