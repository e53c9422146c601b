package dev.bulwark.policy;

import dev.bulwark.check.Connection;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.Filter;
import dev.bulwark.check.Hit;
import dev.bulwark.check.MailFacts;
import dev.bulwark.check.Message;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.envelope.Path;
import dev.bulwark.envelope.PathSyntaxException;
import dev.bulwark.envelope.Paths;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Runs one transaction through a {@link Filter} the way the SMTP layer does, without a network:
 * connect, HELO, MAIL, the relay-domain check then RCPT for each recipient, DATA. Used by the
 * policy tests, {@code bulwark check} and the corpus measurement.
 */
public final class Simulation {
    private Simulation() {}

    /** One step of the transcript: what was asked, and the policy's decision. */
    public record Step(Stage stage, String argument, Decision decision) {}

    /**
     * The result: every step, and the final verdict with the stage that decided it.
     *
     * @param verdict the decisive verdict: the first refusal, or the DATA verdict
     * @param stage where the verdict was given
     */
    public record Outcome(List<Step> steps, Verdict verdict, Stage stage, double score) {
        public Outcome {
            steps = List.copyOf(steps);
        }

        public List<Hit> hits() {
            return steps.stream().flatMap(s -> s.decision().hits().stream()).toList();
        }

        /** Ids of every rule that fired, shadow ones included, in order, without repeats. */
        public List<String> fired() {
            return hits().stream().map(Hit::ruleId).distinct().toList();
        }

        /** The verdict's name as test cases write it. */
        public String verdictName() {
            return name(verdict);
        }
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

    public static Outcome run(Filter filter, Envelope envelope, byte[] message) {
        List<Step> steps = new ArrayList<>();
        Evaluation ev =
                filter.begin(new Connection("simulation", envelope.client(), Optional.empty()));
        Decision d = ev.connect();
        steps.add(new Step(Stage.CONNECT, envelope.client().getHostAddress(), d));
        if (refused(d.verdict())) {
            return new Outcome(steps, d.verdict(), Stage.CONNECT, d.score());
        }
        d = ev.helo(envelope.helo());
        steps.add(new Step(Stage.HELO, envelope.helo(), d));
        if (refused(d.verdict())) {
            return new Outcome(steps, d.verdict(), Stage.HELO, d.score());
        }
        d =
                ev.mail(
                        new MailFacts(
                                envelope.sender(),
                                OptionalLong.of(message.length),
                                false,
                                false,
                                false));
        steps.add(new Step(Stage.MAIL, envelope.sender().toSmtp(), d));
        if (refused(d.verdict())) {
            return new Outcome(steps, d.verdict(), Stage.MAIL, d.score());
        }
        int accepted = 0;
        Decision lastRefusal = null;
        for (String rcpt : envelope.recipients()) {
            Path path;
            try {
                path = Paths.parse(rcpt.startsWith("<") ? rcpt : "<" + rcpt + ">");
            } catch (PathSyntaxException e) {
                lastRefusal =
                        new Decision(
                                new Verdict.Reject(Verdict.Reason.RELAY_DENIED, Optional.empty()),
                                List.of(
                                        new Hit(
                                                "relay:syntax",
                                                Stage.RCPT,
                                                e.getMessage(),
                                                0,
                                                false)),
                                0);
                steps.add(new Step(Stage.RCPT, rcpt, lastRefusal));
                continue;
            }
            Optional<String> refusal = filter.relayDomains().refusal(path);
            if (refusal.isPresent()) {
                lastRefusal =
                        new Decision(
                                new Verdict.Reject(Verdict.Reason.RELAY_DENIED, Optional.empty()),
                                List.of(
                                        new Hit(
                                                "relay:denied",
                                                Stage.RCPT,
                                                refusal.get(),
                                                0,
                                                false)),
                                0);
                steps.add(new Step(Stage.RCPT, path.mailbox().toSmtp(), lastRefusal));
                continue;
            }
            d = ev.rcpt(path.mailbox());
            steps.add(new Step(Stage.RCPT, path.mailbox().toSmtp(), d));
            if (refused(d.verdict())) {
                lastRefusal = d;
            } else {
                accepted++;
            }
        }
        if (accepted == 0) {
            return new Outcome(steps, lastRefusal.verdict(), Stage.RCPT, lastRefusal.score());
        }
        d = ev.data(new Bytes(message));
        steps.add(new Step(Stage.DATA, message.length + " bytes", d));
        ev.reset();
        return new Outcome(steps, d.verdict(), Stage.DATA, d.score());
    }

    private static boolean refused(Verdict v) {
        return v instanceof Verdict.Reject || v instanceof Verdict.Defer;
    }

    /**
     * A message file as the SMTP layer would hand it over: an mbox {@code From } line dropped, bare
     * LF turned into CRLF.
     */
    public static byte[] asReceived(byte[] file) {
        int start = 0;
        if (file.length > 5
                && new String(file, 0, 5, java.nio.charset.StandardCharsets.ISO_8859_1)
                        .equals("From ")) {
            while (start < file.length && file[start] != '\n') {
                start++;
            }
            start = Math.min(file.length, start + 1);
        }
        java.io.ByteArrayOutputStream out =
                new java.io.ByteArrayOutputStream(file.length + file.length / 40);
        for (int i = start; i < file.length; i++) {
            byte b = file[i];
            if (b == '\n' && (i == start || file[i - 1] != '\r')) {
                out.write('\r');
            }
            out.write(b);
        }
        return out.toByteArray();
    }

    /** A received message held in memory. */
    public record Bytes(byte[] data) implements Message {
        @Override
        public long size() {
            return data.length;
        }

        @Override
        public InputStream open() {
            return new ByteArrayInputStream(data);
        }
    }

    static String lower(Stage s) {
        return s.name().toLowerCase(Locale.ROOT);
    }
}
