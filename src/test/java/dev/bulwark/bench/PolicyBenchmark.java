package dev.bulwark.bench;

import dev.bulwark.check.Connection;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.MailFacts;
import dev.bulwark.check.Message;
import dev.bulwark.check.mime.MimeParser;
import dev.bulwark.check.mime.ParsedMessage;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.flow.Policy;
import dev.bulwark.flow.Trial;
import dev.bulwark.policy.Cases;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Envelope;
import dev.bulwark.policy.PolicyException;

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
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Messages per second on one core: the repository policy over every message of the SpamAssassin
 * folders easy-ham-1 and spam-1. {@code evaluate}: the policy's evaluation of a whole session per
 * message (connect, HELO, MAIL, RCPT, DATA with MIME parse, decode and all rules); {@code trial}:
 * the same through the whole transaction flow as the gate runs it (relay domains, rate limits,
 * trace headers, the in-memory next hop, the audit record). Run with {@code mvn -Pbench
 * -Dbulwark.corpus=DIR} where DIR holds the two folders.
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
    private Policy flowPolicy;
    private List<byte[]> messages;
    private List<Envelope> envelopes;
    private int next;

    @Setup
    public void load() throws IOException, PolicyException {
        Path corpus = Path.of(System.getProperty("bulwark.corpus", "corpus"));
        policy = CompiledPolicy.compile(Path.of(System.getProperty("bulwark.policy", "policy")));
        flowPolicy = Policy.of(policy);
        messages = new ArrayList<>();
        envelopes = new ArrayList<>();
        for (String folder : List.of("easy-ham-1", "spam-1")) {
            try (Stream<Path> files = Files.list(corpus.resolve(folder))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".txt")).sorted().toList()) {
                    messages.add(Cases.asReceived(Files.readAllBytes(f)));
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

    /** One message through the whole policy: every stage's evaluation. */
    @Benchmark
    public Decision evaluate() {
        int i = next++ % messages.size();
        Envelope e = envelopes.get(i);
        byte[] message = messages.get(i);
        Evaluation ev = policy.begin(new Connection("bench", e.client(), Optional.empty()));
        ev.connect();
        ev.helo(e.helo());
        ev.mail(new MailFacts(e.sender(), OptionalLong.of(message.length), false, false, false));
        ev.rcpt(Mailbox.of(e.recipients().get(0)));
        Decision d = ev.data(Message.of(message));
        ev.reset();
        return d;
    }

    /** One message through the transaction flow, as the ruleset gate runs a case. */
    @Benchmark
    public Trial trial() {
        int i = next++ % messages.size();
        return Trial.run(flowPolicy, envelopes.get(i), messages.get(i));
    }

    /** The MIME parse and decode alone, to see what the rules cost on top. */
    @Benchmark
    public ParsedMessage parseOnly() {
        int i = next++ % messages.size();
        return MimeParser.parse(messages.get(i));
    }
}
