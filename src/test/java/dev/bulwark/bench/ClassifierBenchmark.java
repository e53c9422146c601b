package dev.bulwark.bench;

import dev.bulwark.check.Connection;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.MailFacts;
import dev.bulwark.check.Message;
import dev.bulwark.check.mime.MimeParser;
import dev.bulwark.check.mime.ParsedMessage;
import dev.bulwark.classifier.Classifier;
import dev.bulwark.classifier.Corpus;
import dev.bulwark.classifier.CorpusMessage;
import dev.bulwark.classifier.Label;
import dev.bulwark.classifier.ModelFormatException;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.policy.CompiledPolicy;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Messages per second on one core with the classifier, over the 3000 messages of policy/corpus
 * (easy-ham-1 and spam-1, as received), with the repository policy and the model its compilation
 * trains. {@code evaluate} is one message through every stage of the policy, classifier included
 * (as PolicyBenchmark's {@code evaluate}, whose policy now has the classifier too); {@code
 * classifier} is the classifier's own part (tokenizing and scoring a parsed message); {@code
 * loadModel} is what the model adds to start-up. Run with {@code mvn -Pbench
 * -Dbench.args=ClassifierBenchmark}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class ClassifierBenchmark {

    private CompiledPolicy policy;
    private Classifier classifier;
    private byte[] model;
    private List<byte[]> messages;
    private List<ParsedMessage> parsed;
    private InetAddress client;
    private int next;

    @Setup
    public void load() throws IOException, PolicyException {
        Path dir = Path.of(System.getProperty("bulwark.policy", "policy"));
        policy = CompiledPolicy.compile(dir);
        classifier =
                policy.classifier()
                        .orElseThrow(() -> new IllegalStateException(dir + " has no classifier"));
        model = classifier.bytes();
        messages = new ArrayList<>();
        parsed = new ArrayList<>();
        for (CorpusMessage m : corpus(dir).messages()) {
            messages.add(m.bytes());
            parsed.add(MimeParser.parse(m.bytes()));
        }
        client = InetAddress.ofLiteral("198.51.100.25");
    }

    /** The policy's corpus: the messages the benchmarks run, as the compiler reads them. */
    static Corpus corpus(Path dir) throws IOException {
        Corpus c =
                Corpus.read(
                        List.of(
                                new Corpus.Source(
                                        dir.resolve("corpus/ham"), "corpus/ham", Label.HAM),
                                new Corpus.Source(
                                        dir.resolve("corpus/spam"), "corpus/spam", Label.SPAM)));
        if (c.messages().size() != 3000) {
            throw new IllegalStateException(
                    "expected the 3000 messages of easy-ham-1 and spam-1 in "
                            + dir.resolve("corpus")
                            + ", found "
                            + c.messages().size());
        }
        return c;
    }

    /** One message through every stage of the policy, the classifier included. */
    @Benchmark
    public Decision evaluate() {
        int i = next++ % messages.size();
        byte[] message = messages.get(i);
        Evaluation ev = policy.begin(new Connection("bench", client, Optional.empty()));
        ev.connect();
        ev.helo("mail.example.org");
        ev.mail(
                new MailFacts(
                        Mailbox.of("list@example.org"),
                        OptionalLong.of(message.length),
                        false,
                        false,
                        false));
        ev.rcpt(Mailbox.of("user@example.com"));
        Decision d = ev.data(Message.of(message));
        ev.reset();
        return d;
    }

    /** Tokenizing and scoring a message already parsed: the classifier's own cost. */
    @Benchmark
    public double classifier() {
        int i = next++ % messages.size();
        return classifier.score(messages.get(i), parsed.get(i)).probability();
    }

    /** Loading the model from its bytes, as start-up does. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public Classifier loadModel() throws ModelFormatException {
        return Classifier.load(model);
    }
}
