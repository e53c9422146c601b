package dev.bulwark.bench;

import dev.bulwark.check.mime.MimeParser;
import dev.bulwark.check.mime.ParsedMessage;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Envelope;
import dev.bulwark.policy.PolicyException;
import dev.bulwark.policy.Simulation;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Messages per second on one core: the repository policy over every message of the SpamAssassin
 * folders easy-ham-1 and spam-1 (a whole simulated session per message: connect, HELO, MAIL, RCPT,
 * DATA with MIME parse, decode and all rules). Run with {@code mvn -Pbench -Dbulwark.corpus=DIR}
 * where DIR holds the two folders.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class PolicyBenchmark {

    private CompiledPolicy policy;
    private List<byte[]> messages;
    private List<Envelope> envelopes;
    private int next;

    @Setup
    public void load() throws IOException, PolicyException {
        Path corpus = Path.of(System.getProperty("bulwark.corpus", "corpus"));
        policy = CompiledPolicy.compile(Path.of(System.getProperty("bulwark.policy", "policy")));
        messages = new ArrayList<>();
        envelopes = new ArrayList<>();
        for (String folder : List.of("easy-ham-1", "spam-1")) {
            try (Stream<Path> files = Files.list(corpus.resolve(folder))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".txt")).sorted().toList()) {
                    messages.add(Simulation.asReceived(Files.readAllBytes(f)));
                    envelopes.add(
                            new Envelope(
                                    InetAddress.ofLiteral("198.51.100.25"),
                                    "mail.example.org",
                                    Mailbox.of("list@example.org"),
                                    List.of("user@example.com")));
                }
            }
        }
        if (messages.size() != 3000) {
            throw new IllegalStateException(
                    "expected the 3000 messages of easy-ham-1 and spam-1 in "
                            + corpus
                            + ", found "
                            + messages.size());
        }
    }

    /** One message through the whole policy. */
    @Benchmark
    public Simulation.Outcome evaluate() {
        int i = next++ % messages.size();
        return Simulation.run(policy, envelopes.get(i), messages.get(i));
    }

    /** The MIME parse and decode alone, to see what the rules cost on top. */
    @Benchmark
    public ParsedMessage parseOnly() {
        int i = next++ % messages.size();
        return MimeParser.parse(messages.get(i));
    }
}
