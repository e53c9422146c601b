package dev.bulwark.audit;

import dev.bulwark.json.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The tamper-evident audit trail (ADR 0018): every line carries its place in the chain ({@code
 * seq}) and the SHA-256 of the line before it ({@code prev}), so removing, reordering or altering a
 * line breaks the chain at the next one. A chain is one run of the node: it starts with a {@code
 * genesis} line naming the boot, the runtime and the policy, whose {@code prev} is {@link #ZERO}.
 *
 * <p>A line is {@code {"seq":N,"prev":"<hex>",...the record's members...}} and its hash is the
 * SHA-256 of its UTF-8 octets without the line feed. The chain's {@link #head()} (the hash of the
 * last line and how many lines there are) is on {@code /version} and in the metrics, so a collector
 * can anchor it elsewhere: a file cut short after an anchored head no longer holds that hash.
 *
 * <p>Every destination gets the same lines in the same order (the lock is held while they write);
 * the chain advances even when one destination fails, since another one (the journal) has the line.
 * {@link #reopen()} continues the chain in a new file after a rotation.
 */
public final class AuditChain implements AuditSink {

    /** The {@code prev} of a genesis line: no line before it. */
    public static final String ZERO = "0".repeat(64);

    /** Where the kernel keeps the identifier of the current boot. */
    static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    /**
     * What a chain starts with: the node's boot, and what it runs.
     *
     * @param boot the kernel's boot id, or a random id where there is none
     * @param run a random id of this start of the process (one boot may start the node twice)
     * @param version the runtime's version
     * @param commit the commit it was built from
     * @param manifest SHA-256 of the runtime's manifest, when running from a verified runtime
     * @param policy the compiled policy's digest
     */
    public record Genesis(
            String boot,
            String run,
            String version,
            String commit,
            Optional<String> manifest,
            String policy) {
        public Genesis {
            Objects.requireNonNull(boot, "boot");
            Objects.requireNonNull(run, "run");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(commit, "commit");
            Objects.requireNonNull(manifest, "manifest");
            Objects.requireNonNull(policy, "policy");
        }

        /** A genesis for this boot (read from the kernel) and a fresh run id. */
        public static Genesis of(
                String version, String commit, Optional<String> manifest, String policy) {
            return new Genesis(
                    bootId(BOOT_ID),
                    UUID.randomUUID().toString(),
                    version,
                    commit,
                    manifest,
                    policy);
        }
    }

    /**
     * The chain's head: how many lines it has and the hash of the last one.
     *
     * @param records lines in the chain, the genesis line included
     * @param hash SHA-256 of the last line, lowercase hex
     */
    public record Head(long records, String hash) {}

    private final Clock clock;
    private final List<AuditLines> outs;
    private final ReentrantLock lock = new ReentrantLock();
    private final MessageDigest sha256;
    private long seq;
    private String prev = ZERO;
    private volatile Head head;

    private AuditChain(Clock clock, List<AuditLines> outs) {
        this.clock = clock;
        this.outs = List.copyOf(outs);
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Starts a chain: writes its genesis line to every destination, in order. */
    public static AuditChain start(Genesis genesis, Clock clock, List<AuditLines> outs) {
        AuditChain chain = new AuditChain(clock, outs);
        StringBuilder b = chain.begin("genesis");
        member(b, "boot", genesis.boot());
        member(b, "run", genesis.run());
        member(b, "version", genesis.version());
        member(b, "commit", genesis.commit());
        b.append("\"manifest\":");
        if (genesis.manifest().isPresent()) {
            Json.string(b, genesis.manifest().get());
        } else {
            b.append("null");
        }
        b.append(',');
        member(b, "policy", genesis.policy());
        chain.append(b);
        return chain;
    }

    /** Appends a transaction, connection or greeting record. */
    @Override
    public void record(AuditRecord record) {
        append(JsonAuditLog.format(record));
    }

    /**
     * Appends an event of the node itself: {@code kind} with string members in the given order
     * (such as the result of a self-verification pass). Never throws.
     */
    public void event(String kind, Map<String, String> members) {
        StringBuilder b = begin(kind);
        members.forEach((k, v) -> member(b, k, v));
        append(b);
    }

    private StringBuilder begin(String kind) {
        StringBuilder b = new StringBuilder(256).append('{');
        member(b, "time", DateTimeFormatter.ISO_INSTANT.format(clock.instant()));
        member(b, "kind", kind);
        return b;
    }

    private void append(StringBuilder membersWithTrailingComma) {
        membersWithTrailingComma.setLength(membersWithTrailingComma.length() - 1);
        append(membersWithTrailingComma.append('}').toString());
    }

    /** Chains one JSON object (written by this package, starting with '{'). */
    private void append(String object) {
        lock.lock();
        try {
            String line = "{\"seq\":" + seq + ",\"prev\":\"" + prev + "\"," + object.substring(1);
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            prev = hex(sha256.digest(bytes));
            seq++;
            head = new Head(seq, prev);
            byte[] withNewline = new byte[bytes.length + 1];
            System.arraycopy(bytes, 0, withNewline, 0, bytes.length);
            withNewline[bytes.length] = '\n';
            for (AuditLines out : outs) {
                try {
                    out.line(withNewline);
                } catch (RuntimeException e) {
                    // A destination that breaks its contract still must not stop the others.
                    System.err.println("bulwark: audit destination failed: " + e);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The chain's head now. */
    public Head head() {
        return head;
    }

    /**
     * Reopens every destination (a file after rotation). The lock keeps lines out meanwhile, so the
     * last line of the old file and the first of the new one are neighbours in the chain.
     */
    public void reopen() {
        lock.lock();
        try {
            outs.forEach(AuditLines::reopen);
        } finally {
            lock.unlock();
        }
    }

    private static void member(StringBuilder b, String name, String value) {
        Json.string(b.append('"').append(name).append("\":"), value).append(',');
    }

    static String hex(byte[] digest) {
        return java.util.HexFormat.of().formatHex(digest);
    }

    /** The kernel's boot id, or a random one when it cannot be read (not Linux, no /proc). */
    static String bootId(Path file) {
        try {
            String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (!id.isEmpty()) {
                return id;
            }
        } catch (IOException | RuntimeException e) {
            // Fall through: a random id still separates this boot's chain from others.
        }
        return "random-" + UUID.randomUUID();
    }
}
