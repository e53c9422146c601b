package dev.bulwark.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The outcome of checking a runtime directory against its manifest.
 *
 * @param home the runtime directory that was checked
 * @param manifest the manifest, when it could be read
 * @param problems one line per difference, {@code path: what is wrong}; the manifest's own problems
 *     first, then files in path order, so the first line names the first mismatching file
 */
public record Verification(Path home, Optional<RuntimeManifest> manifest, List<String> problems) {

    public Verification {
        problems = List.copyOf(problems);
    }

    /** True when every file matches the manifest and the signature, if any, verifies. */
    public boolean ok() {
        return problems.isEmpty();
    }

    /** The first problem, for a one-line refusal; empty when {@link #ok()}. */
    public Optional<String> firstProblem() {
        return problems.stream().findFirst();
    }
}
