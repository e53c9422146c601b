package dev.bulwark.cli;

import dev.bulwark.runtime.ReleaseRecord;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * {@code bulwark release record --commit C --runtime ARCHIVE --image FILE --packer-manifest FILE
 * [--key PRIVATE.pem] --out release.json}: writes the release record the image stage keeps next to
 * the image (see {@link ReleaseRecord}). Exit 0 written, 1 when the inputs cannot be read or do not
 * belong together, 2 on bad usage.
 */
@Command(
        name = "release",
        header = "Writes release records.",
        description = "The release record: one signed document linking a release's parts.",
        subcommands = ReleaseCommand.Record.class)
final class ReleaseCommand {
    private ReleaseCommand() {}

    @Command(
            name = "record",
            header = "Writes the release record the image stage keeps next to the image.",
            description =
                    "Links the git commit, policy digest, runtime archive (its manifest, signature"
                            + " and SBOM), image and Packer manifest in one JSON document, signed"
                            + " with the runtime's Ed25519 key when one is given.",
            exitCodeList = {
                "0:written",
                "1:an input cannot be read or the inputs do not belong together",
                "2:usage error"
            })
    static final class Record implements Cli.Action {
        @Option(names = "--commit", required = true, paramLabel = "COMMIT")
        private String commit;

        @Option(names = "--runtime", required = true, paramLabel = "ARCHIVE")
        private Path runtime;

        @Option(names = "--image", required = true, paramLabel = "FILE")
        private Path image;

        @Option(names = "--packer-manifest", required = true, paramLabel = "FILE")
        private Path packerManifest;

        @Option(
                names = "--key",
                paramLabel = "PRIVATE_KEY.pem",
                description = "sign with this Ed25519 key (the runtime's own)")
        private Optional<Path> key = Optional.empty();

        @Option(names = "--out", required = true, paramLabel = "FILE")
        private Path out;

        @Override
        public int run(PrintStream stdout, PrintStream err) {
            return ReleaseCommand.record(
                    commit, runtime, image, packerManifest, key, out, stdout, err);
        }
    }

    private static int record(
            String commit,
            Path runtime,
            Path image,
            Path packerManifest,
            Optional<Path> key,
            Path target,
            PrintStream out,
            PrintStream err) {
        try {
            ReleaseRecord r = ReleaseRecord.create(commit, runtime, image, packerManifest, key);
            // Written beside and moved in place: a half-written record never lies next to an image.
            Path abs = target.toAbsolutePath();
            Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
            Files.write(tmp, r.toJson());
            Files.move(
                    tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            out.println(
                    "wrote "
                            + target
                            + ": commit "
                            + r.commit()
                            + ", policy "
                            + r.policyDigest()
                            + ", "
                            + r.signingKey()
                                    .map(k -> "signed by Ed25519 key " + k.fingerprint())
                                    .orElse("unsigned"));
            return 0;
        } catch (NoSuchFileException e) {
            err.println("bulwark release record: " + e.getFile() + ": no such file");
        } catch (IOException | IllegalArgumentException e) {
            err.println("bulwark release record: " + e.getMessage());
        }
        return 1;
    }
}
