package dev.bulwark.flow;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.check.Connection;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Hit;
import dev.bulwark.check.Score;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.dns.DnsResolver;
import dev.bulwark.dns.RecordedResolver;
import dev.bulwark.policy.Envelope;
import dev.bulwark.ratelimit.LimitSpec;
import dev.bulwark.ratelimit.RateLimiter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One transaction through the {@link Flow} as a client would send it, on a fresh node with an
 * {@link InMemoryNextHop}: connect, EHLO, MAIL, RCPT for each recipient, the message, QUIT. The
 * ruleset gate, {@code bulwark check} and {@code policy measure} run this, so what they report is
 * what the server does with the same envelope and message (the equivalence test holds them to it).
 *
 * @param steps every step taken, in order, with the flow's answer
 * @param decisive the answer that decided: the first refusal before RCPT, the last refused
 *     recipient when none was accepted, or the answer to the message
 * @param records the audit records the flow wrote
 * @param deliveries what reached the next hop
 */
public record Trial(
        List<Step> steps,
        Answer decisive,
        List<AuditRecord> records,
        List<InMemoryNextHop.Delivery> deliveries) {

    /** The node name a trial's flow uses in its replies and trace headers. */
    public static final String HOSTNAME = "gate.bulwark.invalid";

    /** The session id of every trial. */
    public static final String SESSION = "trial";

    /** What one trial may wait for DNS: recorded answers come at once, live ones within it. */
    static final Duration DNS_BUDGET = Duration.ofSeconds(10);

    public Trial {
        steps = List.copyOf(steps);
        Objects.requireNonNull(decisive, "decisive");
        records = List.copyOf(records);
        deliveries = List.copyOf(deliveries);
    }

    /** One step: what was asked, and the flow's answer. */
    public record Step(Stage stage, String argument, Answer answer) {
        public Decision decision() {
            return answer.decision();
        }
    }

    /**
     * Runs one transaction. {@code message} is what the client sends between DATA and the final
     * dot, dot-unstuffed, with CRLF line endings; a line break is added at the end if it has none,
     * as a client must before the final dot.
     */
    public static Trial run(Policy policy, Envelope envelope, byte[] message) {
        return run(policy, envelope, message, RecordedResolver.none());
    }

    /**
     * Runs one transaction whose authentication checks and DNS lists get their answers from {@code
     * dns}: recorded answers for the gate and {@code check}, the site's resolvers for {@code check
     * --dns}.
     */
    public static Trial run(Policy policy, Envelope envelope, byte[] message, DnsResolver dns) {
        return run(
                policy,
                envelope,
                message,
                new Authenticator(
                        dns,
                        policy.filter().publicSuffixes(),
                        Clock.systemUTC(),
                        HOSTNAME,
                        DNS_BUDGET));
    }

    /** Runs one transaction with {@code authenticator}'s checks (its resolver, its budget). */
    public static Trial run(
            Policy policy, Envelope envelope, byte[] message, Authenticator authenticator) {
        InMemoryNextHop nextHop = new InMemoryNextHop();
        List<AuditRecord> records = new CopyOnWriteArrayList<>();
        try (RateLimiter limiter = RateLimiter.builder(local(policy.rateLimits())).build()) {
            Flow flow =
                    Flow.builder(policy, nextHop)
                            .limiter(limiter)
                            .audit(records::add)
                            .hostname(HOSTNAME)
                            .authenticator(authenticator)
                            .build();
            FlowSession session =
                    flow.open(new Connection(SESSION, envelope.client(), Optional.empty()));
            List<Step> steps = new ArrayList<>();
            Answer decisive = play(session, envelope, ended(message), steps);
            session.end();
            return new Trial(steps, decisive, records, nextHop.deliveries());
        }
    }

    private static Answer play(
            FlowSession session, Envelope envelope, byte[] message, List<Step> steps) {
        Answer a = step(steps, envelope.client().getHostAddress(), session.connect());
        if (a.refused()) {
            return a;
        }
        a = step(steps, envelope.helo(), session.helo(envelope.helo(), true));
        if (a.refused()) {
            return a;
        }
        a =
                step(
                        steps,
                        envelope.sender().toSmtp(),
                        session.mail(envelope.sender(), MailParameters.none()));
        if (a.refused()) {
            return a;
        }
        Answer lastRefusal = null;
        for (String r : envelope.recipients()) {
            String path = path(r);
            a = step(steps, path, session.rcpt(path));
            if (a.refused()) {
                lastRefusal = a;
            }
        }
        if (session.recipientsAccepted() == 0) {
            session.reset(); // QUIT
            return lastRefusal;
        }
        Incoming incoming = session.incoming();
        try {
            incoming.chunk(new ByteArrayInputStream(message), message.length);
            incoming.last();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hold the message in memory", e);
        }
        return step(steps, message.length + " bytes", session.data());
    }

    private static Answer step(List<Step> steps, String argument, Answer answer) {
        steps.add(new Step(answer.stage(), argument, answer));
        return answer;
    }

    /** A recipient as a client writes it in RCPT TO: in angle brackets. */
    public static String path(String recipient) {
        String r = recipient.trim();
        return r.startsWith("<") ? r : "<" + r + ">";
    }

    /** The message as a DATA client sends it: ending with a line break. */
    public static byte[] ended(byte[] message) {
        int n = message.length;
        if (n >= 2 && message[n - 2] == '\r' && message[n - 1] == '\n') {
            return message;
        }
        byte[] out = Arrays.copyOf(message, n + 2);
        out[n] = '\r';
        out[n + 1] = '\n';
        return out;
    }

    /**
     * The rate limits as a node without Redis counts them: fleet-wide limits in process, as local
     * ones (without the log line saying so). A trial is such a node.
     */
    public static List<LimitSpec> local(List<LimitSpec> specs) {
        return specs.stream()
                .map(
                        s ->
                                new LimitSpec(
                                        s.id(),
                                        s.stage(),
                                        s.key(),
                                        s.ipv4Prefix(),
                                        s.ipv6Prefix(),
                                        s.capacity(),
                                        s.period(),
                                        s.cost(),
                                        LimitSpec.Scope.LOCAL,
                                        s.shadow()))
                .toList();
    }

    /** The decisive verdict: a policy's verdict, or the flow's own refusal. */
    public Verdict verdict() {
        return decisive.verdict();
    }

    /** Where the decisive answer was given. */
    public Stage stage() {
        return decisive.stage();
    }

    /** The running score at the decisive answer. */
    public Score score() {
        return decisive.score();
    }

    /** The reply that decided. */
    public Reply reply() {
        return decisive.reply();
    }

    /** Every hit of every step, shadow ones included, in order. */
    public List<Hit> hits() {
        return steps.stream().flatMap(s -> s.answer().hits().stream()).toList();
    }

    /** Ids of every rule and limit that fired, shadow ones included, in order, without repeats. */
    public List<String> fired() {
        return hits().stream().map(Hit::ruleId).distinct().toList();
    }

    /**
     * The verdict as test cases write it: {@code reject} or {@code defer} for a refusal (5xx or
     * 4xx), otherwise the policy's verdict at DATA, with {@code deliver} for a plain pass.
     */
    public String verdictName() {
        if (decisive.refused()) {
            return decisive.reply().isTransient() ? "defer" : "reject";
        }
        return name(decisive.verdict());
    }

    /** The name of a verdict in test cases and reports: {@code deliver} for a plain pass. */
    public static String name(Verdict v) {
        return switch (v) {
            case Verdict.Continue c -> "deliver";
            case Verdict.Accept a -> "accept";
            case Verdict.Reject r -> "reject";
            case Verdict.Defer d -> "defer";
            case Verdict.Discard d -> "discard";
            case Verdict.Quarantine q -> "quarantine";
            case Verdict.Tag t -> "tag";
        };
    }
}
