package dev.bulwark.bench;

import dev.bulwark.check.Connection;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.MailFacts;
import dev.bulwark.check.Message;
import dev.bulwark.check.mime.MimeParser;
import dev.bulwark.check.mime.ParsedMessage;
import dev.bulwark.classifier.Classifier;
import dev.bulwark.classifier.CorpusMessage;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.policy.CompiledPolicy;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * ClassifierBenchmark's figures in CPU time of the measuring thread, for a shared machine where
 * other work makes JMH's wall-clock figures swing: messages per CPU-second for the whole policy
 * with its classifier, the classifier alone (tokenize and score a parsed message) and the MIME
 * parse alone, best of the rounds after the first; and the model's size and load time. Run with
 * {@code mvn -Pbench -Dbench.main=dev.bulwark.bench.ClassifierCpuCost}, or with {@code java} on the
 * test class path; the JMH benchmark is the reference on a quiet machine.
 */
public final class ClassifierCpuCost {
    private ClassifierCpuCost() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty("bulwark.policy", "policy"));
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        CompiledPolicy policy = CompiledPolicy.compile(dir);
        Classifier classifier = policy.classifier().orElseThrow();
        List<byte[]> messages = new ArrayList<>();
        List<ParsedMessage> parsed = new ArrayList<>();
        for (CorpusMessage m : ClassifierBenchmark.corpus(dir).messages()) {
            messages.add(m.bytes());
            parsed.add(MimeParser.parse(m.bytes()));
        }
        InetAddress client = InetAddress.ofLiteral("198.51.100.25");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double bestPolicy = 0;
        double bestClassifier = 0;
        double bestParse = 0;
        double sink = 0;
        int n = messages.size();
        for (int r = 0; r < rounds; r++) {
            long a = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
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
                sink += ev.data(Message.of(message)).classifier().orElse(0);
                ev.reset();
            }
            long b = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                sink += classifier.score(messages.get(i), parsed.get(i)).probability();
            }
            long c = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                sink += MimeParser.parse(messages.get(i)).text().length();
            }
            long d = mx.getCurrentThreadCpuTime();
            if (r == 0) {
                continue; // warm-up
            }
            bestPolicy = Math.max(bestPolicy, n / ((b - a) / 1e9));
            bestClassifier = Math.max(bestClassifier, n / ((c - b) / 1e9));
            bestParse = Math.max(bestParse, n / ((d - c) / 1e9));
        }
        byte[] model = classifier.bytes();
        long loadStart = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < 20; i++) {
            sink += Classifier.load(model).tokens();
        }
        double loadMs = (mx.getCurrentThreadCpuTime() - loadStart) / 1e6 / 20;
        System.out.printf(
                Locale.ROOT,
                "messages per CPU-second, one thread, best of %d rounds over %d messages (%s):%n"
                        + "  policy with classifier, all stages %8.0f  (%.1f µs)%n"
                        + "  classifier alone (parsed input)    %8.0f  (%.1f µs)%n"
                        + "  MIME parse alone                   %8.0f  (%.1f µs)%n"
                        + "model: %d bytes, %d tokens, loads in %.1f ms of CPU%n",
                rounds - 1,
                n,
                sink > 0 ? "ok" : "?",
                bestPolicy,
                1e6 / bestPolicy,
                bestClassifier,
                1e6 / bestClassifier,
                bestParse,
                1e6 / bestParse,
                model.length,
                classifier.tokens(),
                loadMs);
    }
}
