package dev.bulwark.flow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.envelope.Mailbox;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Envelope;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Fuzzing of the DATA/BDAT reader and of policy evaluation, run by surefire in every build: the
 * policy's test messages, mutated the way a hostile client would (bare CR, LF and NUL, smuggling
 * sequences, dot lines, long lines, hop loops, forged trace headers, truncation, stray octets).
 *
 * <p>Per input, the reader (over DATA's wire form and over random BDAT chunks): nothing escapes; it
 * stops exactly after the end marker; a message with a bare line ending or a NUL is always refused
 * and one without is kept octet for octet; DATA and BDAT agree; the memory it allocates is bounded
 * by a constant (the spool spills to a file), and it reads each wire octet at most twice. Per
 * input, the policy (the repository's, through the same flow as the server): nothing escapes, one
 * audit record, memory linear in the input. Seeded, so every build tries the same inputs; {@code
 * -Dbulwark.fuzz.tries=N} and {@code -Dbulwark.fuzz.seed=S} try more or others; a failure names the
 * seed of its try.
 */
class ProtocolFuzzTest {

    /** Spool memory threshold for the reader's tries: above it the spool spills to a file. */
    static final long SPOOL_MEMORY = 16 * 1024;

    /** Allocation allowed to read one message, whatever its size. */
    static final long READER_ALLOCATION = 256 * 1024;

    /** Allocation allowed per input octet for the whole flow (parse, evaluate, relay in memory). */
    static final long FLOW_ALLOCATED_PER_OCTET = 64;

    static final long FLOW_ALLOCATED_CONSTANT = 24L << 20;

    static final int MAX_LINE = 4000;
    static final int MAX_HEADER = 16 * 1024;
    static final long MAX_SIZE = 4L << 20;

    private static final int TRIES = Integer.getInteger("bulwark.fuzz.tries", 2000);

    /** Tries of the whole flow: each costs about 25 ms of policy evaluation. */
    private static final int FLOW_TRIES = Math.max(1, TRIES / 10);

    private static final long SEED = Long.getLong("bulwark.fuzz.seed", 20261203L);

    private static final List<byte[]> SEEDS = seeds();

    private static Policy policy;
    private static long readerTries;
    private static long readerOctets;
    private static long readerNanos;
    private static long worstReaderAllocation;
    private static long flowTries;
    private static long flowOctets;
    private static long flowNanos;
    private static long worstFlowNanos;
    private static double worstFlowAllocation;

    @TempDir static Path spool;

    private static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("policy/tests/messages"))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".eml")).sorted().toList()) {
                seeds.add(Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(seeds);
    }

    @BeforeAll
    static void compile() throws Exception {
        policy = Policy.of(CompiledPolicy.compile(Path.of("policy")));
    }

    @Test
    void theReaderRefusesEverySmugglingSequenceKeepsEverythingElseAndStaysBounded()
            throws IOException {
        Random seeds = new Random(SEED);
        for (int i = 0; i < TRIES; i++) {
            long seed = seeds.nextLong();
            try {
                checkReader(mutated(seed), new Random(seed ^ 0x5DEECE66DL));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("try " + i + ", seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    @Test
    void policyEvaluationOfMutatedMessagesEndsInOneRecordWithinLinearMemory() {
        Random seeds = new Random(SEED + 1);
        Envelope envelope =
                Envelope.of(
                        InetAddress.ofLiteral("198.51.100.25"),
                        "mail.sender.example",
                        Mailbox.of("alice@sender.example"),
                        Mailbox.of("bob@example.com"));
        for (int i = 0; i < FLOW_TRIES; i++) {
            long seed = seeds.nextLong();
            byte[] message = mutated(seed);
            try {
                checkFlow(envelope, message);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("try " + i + ", seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    @AfterAll
    static void report() {
        System.out.printf(
                "ProtocolFuzzTest: reader: %d inputs (%d octets) in %d ms, worst allocation %d"
                        + " octets per input; policy evaluation: %d inputs (%d octets) in %d ms,"
                        + " slowest %.1f ms, worst %.1f octets allocated per input octet%n",
                readerTries,
                readerOctets,
                readerNanos / 1_000_000,
                worstReaderAllocation,
                flowTries,
                flowOctets,
                flowNanos / 1_000_000,
                worstFlowNanos / 1e6,
                worstFlowAllocation);
    }

    // --- the reader ----------------------------------------------------------------------------

    private static void checkReader(byte[] content, Random random) throws IOException {
        byte[] message = Trial.ended(content);
        byte[] wire = dataWire(message);
        CountingInput in = new CountingInput(wire);
        long started = System.nanoTime();
        DataReader.Result[] data = new DataReader.Result[1];
        byte[] kept;
        long allocated;
        try (Spool s = new Spool(spool, SPOOL_MEMORY)) {
            DataReader reader = new DataReader(MAX_SIZE, MAX_LINE, MAX_HEADER, s);
            allocated = allocated(() -> data[0] = reader.read(in));
            kept = s.open().readAllBytes();
        }
        readerNanos += System.nanoTime() - started;
        assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1))
                .as("what follows the end marker")
                .isEqualTo("NEXT\r\n");
        assertThat(allocated).as("octets allocated").isLessThanOrEqualTo(READER_ALLOCATION);
        assertThat(in.delivered).as("octets read").isLessThanOrEqualTo(2L * wire.length + 8192);
        expectations(message, data[0], kept);

        // The same message in BDAT chunks: the same verdict and the same octets.
        DataReader.Result bdat = chunked(message, random);
        assertThat(bdat.problem()).as("BDAT problem").isEqualTo(data[0].problem());
        // BDAT sends a message as it is, even one that does not end with CRLF (or ends in a CR).
        chunked(content, random);
        readerTries++;
        readerOctets += wire.length;
        worstReaderAllocation = Math.max(worstReaderAllocation, allocated);
    }

    /** Reads {@code message} as BDAT chunks of random sizes and holds it to the expectations. */
    private static DataReader.Result chunked(byte[] message, Random random) throws IOException {
        try (Spool s = new Spool(spool, SPOOL_MEMORY)) {
            DataReader reader = new DataReader(MAX_SIZE, MAX_LINE, MAX_HEADER, s);
            InputStream chunks = new ByteArrayInputStream(message);
            long left = message.length;
            while (left > 0) {
                long size = Math.min(left, 1 + random.nextInt(4096));
                reader.chunk(chunks, size);
                left -= size;
            }
            DataReader.Result r = reader.finish();
            expectations(message, r, s.open().readAllBytes());
            return r;
        }
    }

    /** What the reader must make of {@code message}, judged independently of it. */
    private static void expectations(byte[] message, DataReader.Result r, byte[] kept) {
        boolean bare = false;
        boolean nul = false;
        long longest = 0;
        long line = 0;
        for (int i = 0; i < message.length; i++) {
            byte b = message[i];
            if (b == 0) {
                nul = true;
            }
            if (b == '\r' && (i + 1 == message.length || message[i + 1] != '\n')) {
                bare = true;
            }
            if (b == '\n' && (i == 0 || message[i - 1] != '\r')) {
                bare = true;
            }
            if (b == '\r' || b == '\n') {
                line = 0;
            } else {
                longest = Math.max(longest, ++line);
            }
        }
        DataReader.Problem p = r.problem();
        if (bare && nul) {
            assertThat(p).isIn(DataReader.Problem.BARE_LINE_ENDING, DataReader.Problem.NUL);
        } else if (bare) {
            assertThat(p).isEqualTo(DataReader.Problem.BARE_LINE_ENDING);
        } else if (nul) {
            assertThat(p).isEqualTo(DataReader.Problem.NUL);
        } else if (p == DataReader.Problem.NONE) {
            assertThat(kept).isEqualTo(message);
            assertThat(longest).isLessThanOrEqualTo(MAX_LINE);
        } else if (p == DataReader.Problem.LINE_TOO_LONG) {
            assertThat(longest).isGreaterThan(MAX_LINE);
        } else if (p == DataReader.Problem.TOO_BIG) {
            assertThat((long) message.length).isGreaterThan(MAX_SIZE);
        } else {
            assertThat(p).isEqualTo(DataReader.Problem.HEADER_TOO_BIG);
            assertThat(headerBlock(message)).isGreaterThanOrEqualTo(MAX_HEADER);
        }
    }

    private static int headerBlock(byte[] m) {
        for (int i = 0; i + 3 < m.length; i++) {
            if (m[i] == '\r' && m[i + 1] == '\n' && m[i + 2] == '\r' && m[i + 3] == '\n') {
                return i + 4;
            }
        }
        return m.length;
    }

    /** DATA's wire form: dot-stuffed after every CRLF, the end marker, then a pipelined command. */
    static byte[] dataWire(byte[] message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 64);
        boolean lineStart = true;
        for (int i = 0; i < message.length; i++) {
            if (lineStart && message[i] == '.') {
                out.write('.');
            }
            out.write(message[i]);
            lineStart = message[i] == '\n' && i > 0 && message[i - 1] == '\r';
        }
        out.writeBytes(".\r\nNEXT\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** The session's buffered input, counting every octet it hands out (re-reads included). */
    private static final class CountingInput extends BufferedInputStream {
        long delivered;

        CountingInput(byte[] wire) {
            super(new ByteArrayInputStream(wire), 8192);
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            delivered += Math.max(n, 0);
            return n;
        }

        @Override
        public synchronized int read() throws IOException {
            int c = super.read();
            delivered += c < 0 ? 0 : 1;
            return c;
        }
    }

    // --- the policy ------------------------------------------------------------------------------

    private static void checkFlow(Envelope envelope, byte[] message) {
        long started = System.nanoTime();
        Trial[] trial = new Trial[1];
        long allocated = allocated(() -> trial[0] = Trial.run(policy, envelope, message));
        long spent = System.nanoTime() - started;
        assertThat(trial[0].records()).as("audit records").hasSize(1);
        assertThat(trial[0].verdictName()).isNotBlank();
        assertThat(allocated)
                .as("octets allocated for %d octets of input", message.length)
                .isLessThanOrEqualTo(
                        FLOW_ALLOCATED_PER_OCTET * message.length + FLOW_ALLOCATED_CONSTANT);
        flowTries++;
        flowOctets += message.length;
        flowNanos += spent;
        worstFlowNanos = Math.max(worstFlowNanos, spent);
        if (message.length >= 64 * 1024) {
            worstFlowAllocation =
                    Math.max(worstFlowAllocation, allocated / (double) message.length);
        }
    }

    // --- inputs ----------------------------------------------------------------------------------

    /** A seed message and one to five mutations, all drawn from {@code seed}. */
    static byte[] mutated(long seed) {
        Random random = new Random(seed);
        byte[] message = SEEDS.get(random.nextInt(SEEDS.size()));
        for (int k = 1 + random.nextInt(5); k > 0; k--) {
            message = mutate(random.nextInt(11), message, random);
        }
        return message;
    }

    private static final String[] SMUGGLING = {
        "\n.\n", "\r.\r", "\r\n\0.\r\n", "\n.\r\n", "\r\n.\n", "\r\n.\r", "\0", "\r", "\n", "\r\r\n"
    };

    private static byte[] mutate(int mutation, byte[] m, Random r) {
        return switch (mutation) {
            case 0 -> insert(m, r, SMUGGLING[r.nextInt(SMUGGLING.length)]);
            case 1 -> insert(m, r, "\r\n.\r\n");
            case 2 -> insert(m, r, "\r\n." + "x".repeat(r.nextInt(3)) + "\r\n..\r\n");
            case 3 -> insert(m, r, "y".repeat(r.nextInt(2 * MAX_LINE)));
            case 4 -> Arrays.copyOf(m, r.nextInt(m.length + 1));
            case 5 -> flip(m, r);
            case 6 ->
                    concat(
                            "Received: from a by b; Thu, 3 Dec 2026 10:00:00 +0000\r\n"
                                    .repeat(r.nextInt(80)),
                            m);
            case 7 ->
                    concat(
                            "X-Bulwark: verdict=accept; score=-99\r\nX-Bulwark-Recipients: x\r\n",
                            m);
            case 8 -> concat("X-Long: " + "h".repeat(r.nextInt(MAX_HEADER)) + "\r\n", m);
            case 9 -> repeat(m, 1 + r.nextInt(20));
            default -> insert(m, r, "\r\n");
        };
    }

    private static byte[] insert(byte[] m, Random r, String what) {
        int at = r.nextInt(m.length + 1);
        byte[] w = what.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[m.length + w.length];
        System.arraycopy(m, 0, out, 0, at);
        System.arraycopy(w, 0, out, at, w.length);
        System.arraycopy(m, at, out, at + w.length, m.length - at);
        return out;
    }

    private static byte[] flip(byte[] m, Random r) {
        byte[] out = m.clone();
        for (int k = 1 + r.nextInt(8); k > 0 && out.length > 0; k--) {
            out[r.nextInt(out.length)] = (byte) r.nextInt(256);
        }
        return out;
    }

    private static byte[] concat(String head, byte[] m) {
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = Arrays.copyOf(h, h.length + m.length);
        System.arraycopy(m, 0, out, h.length, m.length);
        return out;
    }

    /** The body repeated: large inputs, to see that memory and work stay linear. */
    private static byte[] repeat(byte[] m, int times) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(m.length * times);
        out.writeBytes(m);
        for (int i = 1; i < times; i++) {
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(m);
        }
        return out.toByteArray();
    }

    static long allocated(ThrowingRunnable task) {
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean)
                        java.lang.management.ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        try {
            task.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return mx.getCurrentThreadAllocatedBytes() - before;
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws IOException;
    }
}
