package dev.bulwark.runtime;

import java.nio.file.Path;

/** Whether {@code serve} may start, decided by {@link RuntimeIntegrity#beforeServe(boolean)}. */
public sealed interface ServeCheck {

    /** Running from a runtime whose every file matches its manifest. */
    record Verified(Path home, RuntimeManifest manifest) implements ServeCheck {}

    /**
     * Not running from a runtime, and the caller allowed development mode: serve, but print the
     * notice, because nothing about the code or the policy on the class path was checked.
     */
    record Development(String notice) implements ServeCheck {}

    /** Do not listen: print the reason and exit non-zero. */
    record Refused(String reason) implements ServeCheck {}
}
