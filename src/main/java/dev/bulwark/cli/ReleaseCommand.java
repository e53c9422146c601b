package dev.bulwark.cli;

import dev.bulwark.runtime.ReleaseRecord;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code bulwark release record --commit C --runtime ARCHIVE --image FILE --packer-manifest FILE
 * [--key PRIVATE.pem] --out release.json}: writes the release record the image stage keeps next to
 * the image (see {@link ReleaseRecord}). Exit 0 written, 1 when the inputs cannot be read or do not
 * belong together, 2 on bad usage.
 */
final class ReleaseCommand {
    private ReleaseCommand() {}

    private static final String USAGE_TEXT =
            "usage: bulwark release record --commit C --runtime ARCHIVE --image FILE"
                    + " --packer-manifest FILE [--key PRIVATE_KEY.pem] --out release.json";

    private static final List<String> OPTIONS =
            List.of("--commit", "--runtime", "--image", "--packer-manifest", "--key", "--out");

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || !args[0].equals("record")) {
            return usage(err, "the only release command is 'record'");
        }
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!OPTIONS.contains(args[i]) || i + 1 == args.length) {
                return usage(err, "unknown option or missing value '" + args[i] + "'");
            }
            if (o.put(args[i], args[++i]) != null) {
                return usage(err, args[i - 1] + " given twice");
            }
        }
        for (String required :
                List.of("--commit", "--runtime", "--image", "--packer-manifest", "--out")) {
            if (!o.containsKey(required)) {
                return usage(err, required + " is required");
            }
        }
        Path target = Path.of(o.get("--out"));
        try {
            ReleaseRecord r =
                    ReleaseRecord.create(
                            o.get("--commit"),
                            Path.of(o.get("--runtime")),
                            Path.of(o.get("--image")),
                            Path.of(o.get("--packer-manifest")),
                            Optional.ofNullable(o.get("--key")).map(Path::of));
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

    private static int usage(PrintStream err, String problem) {
        err.println("bulwark release: " + problem);
        err.println(USAGE_TEXT);
        return 2;
    }
}
