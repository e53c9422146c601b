package dev.bulwark.check.rules;

import dev.bulwark.check.Decision;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.Hit;
import dev.bulwark.check.MailFacts;
import dev.bulwark.check.Message;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.envelope.Mailbox;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Runs a {@link RuleSet} over one SMTP session.
 *
 * <p>Semantics, stage by stage (see {@code src/docs/policy.md}):
 *
 * <ul>
 *   <li>Rules run in order. {@code score} and {@code tag} go on to the next rule; {@code accept},
 *       {@code reject}, {@code defer}, {@code discard} and {@code quarantine} end evaluation.
 *   <li>{@code reject} and {@code defer} answer at the stage where they fire. At RCPT they refuse
 *       that recipient only, and the scores of that recipient's rules are not counted.
 *   <li>{@code discard}, {@code quarantine} and {@code tag} are carried to DATA, where the message
 *       is disposed of; at connect and helo they hold for every transaction of the session.
 *   <li>{@code accept} at connect or helo allowlists the session, at mail the transaction, at rcpt
 *       the recipient: DATA rules are skipped only when every recipient was allowlisted.
 *   <li>Scores add up over the transaction (connect and helo scores count in every transaction of
 *       the session); a rule adds its score at most once per transaction. At DATA the total is held
 *       against the thresholds: reject, then discard by rule, then quarantine, then tag. The reject
 *       threshold also fires before DATA where {@link RuleSet#earlyRejectAt} allows it.
 *   <li>Shadow rules record a hit and do nothing else.
 *   <li>An unexpected exception becomes a {@link Verdict.Defer} with reason {@code CHECK_FAILED}.
 * </ul>
 */
public final class RuleEvaluation implements Evaluation {

    /**
     * Hit id for a decision made by a score threshold (not a valid rule id, so never ambiguous).
     */
    public static final String THRESHOLD_REJECT = "threshold:reject";

    public static final String THRESHOLD_QUARANTINE = "threshold:quarantine";
    public static final String THRESHOLD_TAG = "threshold:tag";
    public static final String INTERNAL_ERROR = "internal:error";

    private enum Disposition {
        NONE,
        QUARANTINE,
        DISCARD
    }

    private final RuleSet set;
    private final Facts facts;
    private final StringBuilder why = new StringBuilder();

    // session: connect
    private Verdict connectRefusal;
    private boolean connectAccepted;
    private Disposition connectDisposition = Disposition.NONE;
    private final Part connect = new Part();
    // session: helo (replaced on each greeting)
    private boolean heloAccepted;
    private Disposition heloDisposition = Disposition.NONE;
    private final Part helo = new Part();
    // transaction
    private boolean txAccepted;
    private Disposition txDisposition = Disposition.NONE;
    private final Part tx = new Part();
    private final Set<String> scoredOnce = new HashSet<>();
    private int recipients;
    private int allowlisted;

    /** Score, tags and fired rule ids contributed by one part of the session. */
    private static final class Part {
        double score;
        final List<Action.TagSpec> tags = new ArrayList<>();
        final List<String> fired = new ArrayList<>();

        void clear() {
            score = 0;
            tags.clear();
            fired.clear();
        }

        void add(Outcome o) {
            score += o.score;
            tags.addAll(o.tags);
            fired.addAll(o.fired);
        }
    }

    private record Outcome(
            List<Hit> hits,
            Optional<Action> terminal,
            double score,
            List<Action.TagSpec> tags,
            List<String> fired,
            List<String> scored) {}

    public RuleEvaluation(RuleSet set, java.net.InetAddress client) {
        this.set = set;
        this.facts = new Facts(client, set.literals());
    }

    @Override
    public Decision connect() {
        return guard(
                Stage.CONNECT,
                () -> {
                    facts.stage(Stage.CONNECT);
                    Outcome o = run(Stage.CONNECT);
                    connect.add(o);
                    Optional<Action> t = o.terminal;
                    if (t.isPresent()) {
                        switch (t.get()) {
                            case Action.Accept a -> {
                                connectAccepted = true;
                                return decision(Verdict.ACCEPT, o.hits);
                            }
                            case Action.Reject r -> {
                                connectRefusal =
                                        new Verdict.Reject(Verdict.Reason.POLICY, r.reply());
                                return decision(connectRefusal, o.hits);
                            }
                            case Action.Defer d -> {
                                connectRefusal =
                                        new Verdict.Defer(Verdict.Reason.POLICY, d.reply());
                                return decision(connectRefusal, o.hits);
                            }
                            case Action.Discard d -> connectDisposition = Disposition.DISCARD;
                            case Action.Quarantine q -> connectDisposition = Disposition.QUARANTINE;
                            default -> throw new IllegalStateException("not terminal: " + t.get());
                        }
                    }
                    Optional<Decision> early = earlyReject(Stage.CONNECT, o.hits, total());
                    if (early.isPresent()) {
                        connectRefusal = early.get().verdict();
                        return early.get();
                    }
                    return decision(Verdict.CONTINUE, o.hits);
                });
    }

    @Override
    public Decision helo(String greeting) {
        return guard(
                Stage.HELO,
                () -> {
                    Optional<Decision> settled = settledSession();
                    if (settled.isPresent()) {
                        return settled.get();
                    }
                    reset();
                    helo.clear();
                    heloAccepted = false;
                    heloDisposition = Disposition.NONE;
                    facts.stage(Stage.HELO);
                    facts.helo(greeting);
                    if (connectDisposition != Disposition.NONE) {
                        return decision(Verdict.CONTINUE, List.of());
                    }
                    Outcome o = run(Stage.HELO);
                    Optional<Action> t = o.terminal;
                    if (t.isPresent()) {
                        switch (t.get()) {
                            case Action.Accept a -> {
                                helo.add(o);
                                heloAccepted = true;
                                return decision(Verdict.ACCEPT, o.hits);
                            }
                            case Action.Reject r -> {
                                return decision(
                                        new Verdict.Reject(Verdict.Reason.POLICY, r.reply()),
                                        o.hits);
                            }
                            case Action.Defer d -> {
                                return decision(
                                        new Verdict.Defer(Verdict.Reason.POLICY, d.reply()),
                                        o.hits);
                            }
                            case Action.Discard d -> heloDisposition = Disposition.DISCARD;
                            case Action.Quarantine q -> heloDisposition = Disposition.QUARANTINE;
                            default -> throw new IllegalStateException("not terminal: " + t.get());
                        }
                    }
                    helo.add(o);
                    Optional<Decision> early = earlyReject(Stage.HELO, o.hits, total());
                    if (early.isPresent()) {
                        helo.clear(); // a client may greet again; the next greeting is judged
                        // afresh
                        return early.get();
                    }
                    return decision(Verdict.CONTINUE, o.hits);
                });
    }

    @Override
    public Decision mail(MailFacts mail) {
        return guard(
                Stage.MAIL,
                () -> {
                    Optional<Decision> settled = settledSession();
                    if (settled.isPresent()) {
                        return settled.get();
                    }
                    reset();
                    facts.stage(Stage.MAIL);
                    facts.sender(mail.sender());
                    if (sessionStopped()) {
                        return decision(Verdict.CONTINUE, List.of());
                    }
                    Outcome o = run(Stage.MAIL);
                    Optional<Action> t = o.terminal;
                    if (t.isPresent()) {
                        switch (t.get()) {
                            case Action.Accept a -> {
                                tx.add(o);
                                txAccepted = true;
                                return decision(Verdict.ACCEPT, o.hits);
                            }
                            case Action.Reject r -> {
                                return decision(
                                        new Verdict.Reject(Verdict.Reason.POLICY, r.reply()),
                                        o.hits);
                            }
                            case Action.Defer d -> {
                                return decision(
                                        new Verdict.Defer(Verdict.Reason.POLICY, d.reply()),
                                        o.hits);
                            }
                            case Action.Discard d -> txDisposition = Disposition.DISCARD;
                            case Action.Quarantine q -> txDisposition = Disposition.QUARANTINE;
                            default -> throw new IllegalStateException("not terminal: " + t.get());
                        }
                    }
                    tx.add(o);
                    scoredOnce.addAll(o.scored);
                    Optional<Decision> early = earlyReject(Stage.MAIL, o.hits, total());
                    if (early.isPresent()) {
                        reset();
                        return early.get();
                    }
                    return decision(Verdict.CONTINUE, o.hits);
                });
    }

    @Override
    public Decision rcpt(Mailbox recipient) {
        return guard(
                Stage.RCPT,
                () -> {
                    Optional<Decision> settled = settledSession();
                    if (settled.isPresent()) {
                        recipients++;
                        allowlisted++;
                        facts.recipients().add(recipient);
                        return settled.get();
                    }
                    if (txAccepted) {
                        recipients++;
                        allowlisted++;
                        facts.recipients().add(recipient);
                        return decision(Verdict.ACCEPT, List.of());
                    }
                    facts.stage(Stage.RCPT);
                    facts.recipient(recipient);
                    if (sessionStopped() || txDisposition != Disposition.NONE) {
                        recipients++;
                        facts.recipients().add(recipient);
                        return decision(Verdict.CONTINUE, List.of());
                    }
                    Outcome o = run(Stage.RCPT);
                    Optional<Action> t = o.terminal;
                    if (t.isPresent() && t.get() instanceof Action.Reject r) {
                        return decision(
                                new Verdict.Reject(Verdict.Reason.POLICY, r.reply()), o.hits);
                    }
                    if (t.isPresent() && t.get() instanceof Action.Defer d) {
                        return decision(
                                new Verdict.Defer(Verdict.Reason.POLICY, d.reply()), o.hits);
                    }
                    Optional<Decision> early = earlyReject(Stage.RCPT, o.hits, total() + o.score);
                    if (early.isPresent()) {
                        return early.get();
                    }
                    tx.add(o);
                    scoredOnce.addAll(o.scored);
                    recipients++;
                    facts.recipients().add(recipient);
                    if (t.isPresent()) {
                        switch (t.get()) {
                            case Action.Accept a -> {
                                allowlisted++;
                                return decision(Verdict.ACCEPT, o.hits);
                            }
                            case Action.Discard d -> txDisposition = Disposition.DISCARD;
                            case Action.Quarantine q -> txDisposition = Disposition.QUARANTINE;
                            default -> throw new IllegalStateException("not terminal: " + t.get());
                        }
                    }
                    return decision(Verdict.CONTINUE, o.hits);
                });
    }

    @Override
    public Decision data(Message message) {
        return guard(
                Stage.DATA,
                () -> {
                    Optional<Decision> settled = settledSession();
                    if (settled.isPresent()) {
                        return settled.get();
                    }
                    if (txAccepted || (recipients > 0 && allowlisted == recipients)) {
                        return decision(Verdict.ACCEPT, List.of());
                    }
                    facts.stage(Stage.DATA);
                    facts.message(message);
                    List<Hit> hits = new ArrayList<>();
                    Disposition disposition =
                            strongest(
                                    strongest(connectDisposition, heloDisposition), txDisposition);
                    if (disposition == Disposition.NONE) {
                        Outcome o = run(Stage.DATA);
                        hits.addAll(o.hits);
                        Optional<Action> t = o.terminal;
                        if (t.isPresent()) {
                            switch (t.get()) {
                                case Action.Accept a -> {
                                    tx.add(o);
                                    return decision(Verdict.ACCEPT, hits);
                                }
                                case Action.Reject r -> {
                                    return decision(
                                            new Verdict.Reject(Verdict.Reason.POLICY, r.reply()),
                                            hits);
                                }
                                case Action.Defer d -> {
                                    return decision(
                                            new Verdict.Defer(Verdict.Reason.POLICY, d.reply()),
                                            hits);
                                }
                                case Action.Discard d -> disposition = Disposition.DISCARD;
                                case Action.Quarantine q -> disposition = Disposition.QUARANTINE;
                                default ->
                                        throw new IllegalStateException("not terminal: " + t.get());
                            }
                        }
                        tx.add(o);
                    }
                    return dispose(disposition, hits);
                });
    }

    /** The end of DATA: thresholds and carried dispositions become the message's verdict. */
    private Decision dispose(Disposition disposition, List<Hit> hits) {
        double total = total();
        RuleSet.Thresholds th = set.thresholds();
        if (th.reject().isPresent() && total >= th.reject().getAsDouble()) {
            hits.add(thresholdHit(THRESHOLD_REJECT, total, th.reject().getAsDouble()));
            return decision(new Verdict.Reject(Verdict.Reason.POLICY, Optional.empty()), hits);
        }
        if (disposition == Disposition.DISCARD) {
            return decision(Verdict.DISCARD, hits);
        }
        boolean quarantineByScore =
                th.quarantine().isPresent() && total >= th.quarantine().getAsDouble();
        if (disposition == Disposition.QUARANTINE || quarantineByScore) {
            if (quarantineByScore && disposition != Disposition.QUARANTINE) {
                hits.add(thresholdHit(THRESHOLD_QUARANTINE, total, th.quarantine().getAsDouble()));
            }
            Mailbox box =
                    set.quarantine()
                            .orElseThrow(
                                    () ->
                                            new IllegalStateException(
                                                    "quarantine decided but the policy has no"
                                                            + " quarantine mailbox"));
            return decision(new Verdict.Quarantine(box), hits);
        }
        List<Action.TagSpec> tags = new ArrayList<>();
        tags.addAll(connect.tags);
        tags.addAll(helo.tags);
        tags.addAll(tx.tags);
        if (th.tag().isPresent() && total >= th.tag().getAsDouble()) {
            hits.add(thresholdHit(THRESHOLD_TAG, total, th.tag().getAsDouble()));
            tags.add(set.defaultTag());
        }
        if (!tags.isEmpty()) {
            return decision(tag(tags, total), hits);
        }
        return decision(Verdict.CONTINUE, hits);
    }

    private Verdict tag(List<Action.TagSpec> tags, double total) {
        List<String> fired = new ArrayList<>();
        fired.addAll(connect.fired);
        fired.addAll(helo.fired);
        fired.addAll(tx.fired);
        String rules = String.join(",", fired);
        Map<String, Verdict.Header> headers = new LinkedHashMap<>();
        Optional<String> prefix = Optional.empty();
        for (Action.TagSpec t : tags) {
            for (Verdict.Header h : t.headers()) {
                String value =
                        h.value().replace("{score}", formatScore(total)).replace("{rules}", rules);
                headers.putIfAbsent(
                        h.name().toLowerCase(Locale.ROOT), new Verdict.Header(h.name(), value));
            }
            if (prefix.isEmpty()) {
                prefix = t.subjectPrefix();
            }
        }
        return new Verdict.Tag(List.copyOf(headers.values()), prefix);
    }

    @Override
    public void reset() {
        txAccepted = false;
        txDisposition = Disposition.NONE;
        tx.clear();
        scoredOnce.clear();
        recipients = 0;
        allowlisted = 0;
        facts.resetTransaction();
    }

    /** A decision that holds for the whole session: refused at connect, or allowlisted. */
    private Optional<Decision> settledSession() {
        if (connectRefusal != null) {
            return Optional.of(decision(connectRefusal, List.of()));
        }
        if (connectAccepted || heloAccepted) {
            return Optional.of(decision(Verdict.ACCEPT, List.of()));
        }
        return Optional.empty();
    }

    private boolean sessionStopped() {
        return connectDisposition != Disposition.NONE || heloDisposition != Disposition.NONE;
    }

    private Optional<Decision> earlyReject(Stage stage, List<Hit> hits, double total) {
        RuleSet.Thresholds th = set.thresholds();
        if (th.reject().isEmpty()
                || !set.earlyRejectAt(stage)
                || total < th.reject().getAsDouble()) {
            return Optional.empty();
        }
        List<Hit> all = new ArrayList<>(hits);
        all.add(thresholdHit(THRESHOLD_REJECT, total, th.reject().getAsDouble()));
        return Optional.of(
                new Decision(
                        new Verdict.Reject(Verdict.Reason.POLICY, Optional.empty()), all, total));
    }

    private Hit thresholdHit(String id, double total, double threshold) {
        return new Hit(
                id,
                facts.stage(),
                "score " + formatScore(total) + " >= " + formatScore(threshold),
                0,
                false);
    }

    private Outcome run(Stage stage) {
        List<Hit> hits = new ArrayList<>(2);
        List<Action.TagSpec> tags = new ArrayList<>(0);
        List<String> fired = new ArrayList<>(2);
        List<String> scored = new ArrayList<>(2);
        double score = 0;
        for (Rule rule : set.rules(stage)) {
            why.setLength(0);
            if (!rule.when().test(facts, why)) {
                continue;
            }
            String detail = why.toString();
            Action action = rule.action();
            if (rule.shadow()) {
                double would = action instanceof Action.Score s ? s.points() : 0;
                hits.add(new Hit(rule.id(), stage, detail, would, true));
                continue;
            }
            fired.add(rule.id());
            switch (action) {
                case Action.Score s -> {
                    double points = scoredOnce.contains(rule.id()) ? 0 : s.points();
                    score += points;
                    scored.add(rule.id());
                    hits.add(new Hit(rule.id(), stage, detail, points, false));
                }
                case Action.Tag t -> {
                    tags.add(t.tag());
                    hits.add(new Hit(rule.id(), stage, detail, 0, false));
                }
                default -> {
                    hits.add(new Hit(rule.id(), stage, detail, 0, false));
                    return new Outcome(hits, Optional.of(action), score, tags, fired, scored);
                }
            }
        }
        return new Outcome(hits, Optional.empty(), score, tags, fired, scored);
    }

    private double total() {
        return connect.score + helo.score + tx.score;
    }

    private Decision decision(Verdict verdict, List<Hit> hits) {
        return new Decision(verdict, hits, total());
    }

    private static Disposition strongest(Disposition a, Disposition b) {
        return a.ordinal() >= b.ordinal() ? a : b;
    }

    private Decision guard(Stage stage, Supplier<Decision> body) {
        try {
            return body.get();
        } catch (RuntimeException e) {
            // Fail closed: a crashing check must never let mail through unexamined.
            Hit hit =
                    new Hit(
                            INTERNAL_ERROR,
                            stage,
                            e.getClass().getSimpleName() + ": " + e.getMessage(),
                            0,
                            false);
            return new Decision(
                    new Verdict.Defer(Verdict.Reason.CHECK_FAILED, Optional.empty()),
                    List.of(hit),
                    total());
        }
    }

    /** Scores as written in a policy: {@code 5}, {@code 2.5}, {@code -1.25}. */
    public static String formatScore(double score) {
        java.math.BigDecimal d =
                java.math.BigDecimal.valueOf(score)
                        .setScale(3, java.math.RoundingMode.HALF_EVEN)
                        .stripTrailingZeros();
        return d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
    }
}
