package dev.bulwark.runtime;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The node checking its runtime while it serves (ADR 0018), after {@link
 * RuntimeIntegrity#beforeServe} checked it at start: each {@link #verifyNow()} pass hashes every
 * file again, one after another at a bounded rate ({@link #DEFAULT_BYTES_PER_SECOND}), against the
 * manifest as it was read at start.
 *
 * <p>A mismatch is remembered for the rest of the run ({@link #firstMismatch()}): a runtime that
 * diverged once is not trusted again because the file was put back; the node is replaced or
 * restarted (which checks it from the start again).
 *
 * <p>Thread-safe. One pass runs at a time: a caller that arrives during a pass waits for it and
 * gets its result instead of starting another.
 */
public final class SelfVerification {

    /**
     * Hashing rate while serving: about 1.6 s for the ~50 MB runtime, a small share of one core.
     */
    public static final long DEFAULT_BYTES_PER_SECOND = 32L * 1024 * 1024;

    /**
     * The result of one pass.
     *
     * @param ok whether every file matched
     * @param problem the first difference, {@code path: what is wrong}, when not ok
     * @param problems how many differences there were
     * @param files how many files the manifest lists
     * @param pass the pass's number in this run, from 1
     * @param checkedAt when the pass ended
     * @param cpu the CPU time the pass took on its thread
     * @param elapsed the wall time the pass took (most of it paced waiting)
     */
    public record Status(
            boolean ok,
            Optional<String> problem,
            int problems,
            int files,
            long pass,
            Instant checkedAt,
            Duration cpu,
            Duration elapsed) {
        public Status {
            Objects.requireNonNull(problem, "problem");
            Objects.requireNonNull(checkedAt, "checkedAt");
        }
    }

    private final Path home;
    private final RuntimeManifest manifest;
    private final byte[] manifestBytes;
    private final Optional<byte[]> signatureBytes;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final long bytesPerSecond;
    private final ReentrantLock running = new ReentrantLock();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private volatile Optional<Status> last = Optional.empty();
    private volatile Optional<Status> firstMismatch = Optional.empty();
    private long passes;

    private SelfVerification(
            Path home,
            RuntimeManifest manifest,
            byte[] manifestBytes,
            Optional<byte[]> signatureBytes,
            Clock clock,
            LongSupplier nanoTime,
            long bytesPerSecond) {
        this.home = home;
        this.manifest = manifest;
        this.manifestBytes = manifestBytes;
        this.signatureBytes = signatureBytes;
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.bytesPerSecond = bytesPerSecond;
    }

    /**
     * Takes the manifest of {@code home} as it is now: call right after the start check passed.
     *
     * @throws IOException when the manifest cannot be read
     * @throws IllegalArgumentException when it is not a manifest
     */
    public static SelfVerification of(Path home, Clock clock, long bytesPerSecond)
            throws IOException {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException(
                    bytesPerSecond + " is not a valid hashing rate: it must be positive");
        }
        byte[] bytes = Files.readAllBytes(home.resolve(RuntimeManifest.FILE));
        Path sig = home.resolve(RuntimeManifest.SIGNATURE_FILE);
        Optional<byte[]> signature =
                Files.exists(sig, LinkOption.NOFOLLOW_LINKS)
                        ? Optional.of(Files.readAllBytes(sig))
                        : Optional.empty();
        return new SelfVerification(
                home,
                RuntimeManifest.parse(bytes),
                bytes,
                signature,
                clock,
                System::nanoTime,
                bytesPerSecond);
    }

    /** SHA-256 of the manifest read at start, for the audit chain's genesis line. */
    public String manifestSha256() {
        return Digests.sha256Hex(manifestBytes);
    }

    /** The manifest read at start. */
    public RuntimeManifest manifest() {
        return manifest;
    }

    /** Runs a pass now (or waits for the one running) and returns its result. */
    public Status verifyNow() {
        if (!running.tryLock()) {
            running.lock(); // a pass is running: its result is as fresh as a new one
            try {
                return last.orElseThrow();
            } finally {
                running.unlock();
            }
        }
        try {
            boolean cpuMeasured = threads.isCurrentThreadCpuTimeSupported();
            long cpu0 = cpuMeasured ? threads.getCurrentThreadCpuTime() : 0;
            long t0 = nanoTime.getAsLong();
            Verification v =
                    RuntimeIntegrity.recheck(
                            home,
                            manifest,
                            manifestBytes,
                            signatureBytes,
                            Pacer.of(bytesPerSecond, nanoTime));
            long cpu = cpuMeasured ? threads.getCurrentThreadCpuTime() - cpu0 : 0;
            Status s =
                    new Status(
                            v.ok(),
                            v.firstProblem(),
                            v.problems().size(),
                            manifest.files().size(),
                            ++passes,
                            clock.instant(),
                            Duration.ofNanos(cpu),
                            Duration.ofNanos(nanoTime.getAsLong() - t0));
            last = Optional.of(s);
            if (!s.ok() && firstMismatch.isEmpty()) {
                firstMismatch = Optional.of(s);
            }
            return s;
        } finally {
            running.unlock();
        }
    }

    /** The last pass's result; empty before the first. */
    public Optional<Status> last() {
        return last;
    }

    /** The first pass that found a difference in this run, if any did. */
    public Optional<Status> firstMismatch() {
        return firstMismatch;
    }
}
