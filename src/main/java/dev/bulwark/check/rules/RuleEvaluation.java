package dev.bulwark.check.rules;

import dev.bulwark.check.Decision;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.Hit;
import dev.bulwark.check.MailFacts;
import dev.bulwark.check.Message;
import dev.bulwark.check.ReservedIds;
import dev.bulwark.check.Score;
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
 * Runs a {@link RuleSet} over one SMTP session. It is the one owner of the policy's state in the
 * session (allowlisting, carried dispositions and tags, the score): the transaction flow keeps none
 * of it and asks every stage.
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
 *   <li>An unexpected exception becomes a {@link Verdict.Defer} with reason {@code CHECK_FAILED}
 *       and the hit {@link ReservedIds#INTERNAL_ERROR}.
 * </ul>
 */
public final class RuleEvaluation implements Evaluation {

    /** What a stage carries to DATA, weakest first. */
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

        void add(Firing f) {
            score += f.score;
            tags.addAll(f.tags);
            fired.addAll(f.fired);
        }
    }

    /** What the rules of one stage did. */
    private record Firing(
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
                    Firing f = run(Stage.CONNECT);
                    connect.add(f);
                    Optional<Verdict> refusal = refusal(f);
                    if (refusal.isPresent()) {
                        connectRefusal = refusal.get();
                        return decision(connectRefusal, f.hits);
                    }
                    if (f.terminal.orElse(null) instanceof Action.Accept) {
                        connectAccepted = true;
                        return decision(Verdict.ACCEPT, f.hits);
                    }
                    connectDisposition = disposition(f);
                    Optional<Decision> early = earlyReject(Stage.CONNECT, f.hits, total());
                    if (early.isPresent()) {
                        connectRefusal = early.get().verdict();
                        return early.get();
                    }
                    return decision(Verdict.CONTINUE, f.hits);
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
                    Firing f = run(Stage.HELO);
                    Optional<Verdict> refusal = refusal(f);
                    if (refusal.isPresent()) {
                        return decision(refusal.get(), f.hits);
                    }
                    helo.add(f);
                    if (f.terminal.orElse(null) instanceof Action.Accept) {
                        heloAccepted = true;
                        return decision(Verdict.ACCEPT, f.hits);
                    }
                    heloDisposition = disposition(f);
                    Optional<Decision> early = earlyReject(Stage.HELO, f.hits, total());
                    if (early.isPresent()) {
                        helo.clear(); // a client may greet again; the next greeting starts afresh
                        return early.get();
                    }
                    return decision(Verdict.CONTINUE, f.hits);
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
                    Firing f = run(Stage.MAIL);
                    Optional<Verdict> refusal = refusal(f);
                    if (refusal.isPresent()) {
                        return decision(refusal.get(), f.hits);
                    }
                    tx.add(f);
                    if (f.terminal.orElse(null) instanceof Action.Accept) {
                        txAccepted = true;
                        return decision(Verdict.ACCEPT, f.hits);
                    }
                    txDisposition = disposition(f);
                    scoredOnce.addAll(f.scored);
                    Optional<Decision> early = earlyReject(Stage.MAIL, f.hits, total());
                    if (early.isPresent()) {
                        reset();
                        return early.get();
                    }
                    return decision(Verdict.CONTINUE, f.hits);
                });
    }

    @Override
    public Decision rcpt(Mailbox recipient) {
        return guard(
                Stage.RCPT,
                () -> {
                    Optional<Decision> settled = settledSession();
                    if (settled.isPresent() || txAccepted) {
                        counted(recipient, true);
                        return settled.orElseGet(() -> decision(Verdict.ACCEPT, List.of()));
                    }
                    facts.stage(Stage.RCPT);
                    facts.recipient(recipient);
                    if (sessionStopped() || txDisposition != Disposition.NONE) {
                        counted(recipient, false);
                        return decision(Verdict.CONTINUE, List.of());
                    }
                    Firing f = run(Stage.RCPT);
                    Optional<Verdict> refusal = refusal(f);
                    if (refusal.isPresent()) {
                        return decision(refusal.get(), f.hits);
                    }
                    Optional<Decision> early = earlyReject(Stage.RCPT, f.hits, total() + f.score);
                    if (early.isPresent()) {
                        return early.get();
                    }
                    tx.add(f);
                    scoredOnce.addAll(f.scored);
                    boolean accepted = f.terminal.orElse(null) instanceof Action.Accept;
                    counted(recipient, accepted);
                    if (accepted) {
                        return decision(Verdict.ACCEPT, f.hits);
                    }
                    if (disposition(f) != Disposition.NONE) {
                        txDisposition = disposition(f);
                    }
                    return decision(Verdict.CONTINUE, f.hits);
                });
    }

    private void counted(Mailbox recipient, boolean accepted) {
        recipients++;
        if (accepted) {
            allowlisted++;
        }
        facts.recipients().add(recipient);
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
                        Firing f = run(Stage.DATA);
                        hits.addAll(f.hits);
                        Optional<Verdict> refusal = refusal(f);
                        if (refusal.isPresent()) {
                            return decision(refusal.get(), hits);
                        }
                        tx.add(f);
                        if (f.terminal.orElse(null) instanceof Action.Accept) {
                            return decision(Verdict.ACCEPT, hits);
                        }
                        disposition = disposition(f);
                    }
                    return dispose(disposition, hits);
                });
    }

    /** The end of DATA: thresholds and carried dispositions become the message's verdict. */
    private Decision dispose(Disposition disposition, List<Hit> hits) {
        double total = total();
        RuleSet.Thresholds th = set.thresholds();
        if (th.reject().isPresent() && total >= th.reject().getAsDouble()) {
            hits.add(thresholdHit(ReservedIds.THRESHOLD_REJECT, total, th.reject().getAsDouble()));
            return decision(new Verdict.Reject(Verdict.Reason.POLICY, Optional.empty()), hits);
        }
        if (disposition == Disposition.DISCARD) {
            return decision(Verdict.DISCARD, hits);
        }
        boolean quarantineByScore =
                th.quarantine().isPresent() && total >= th.quarantine().getAsDouble();
        if (disposition == Disposition.QUARANTINE || quarantineByScore) {
            if (disposition != Disposition.QUARANTINE) {
                hits.add(
                        thresholdHit(
                                ReservedIds.THRESHOLD_QUARANTINE,
                                total,
                                th.quarantine().getAsDouble()));
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
            hits.add(thresholdHit(ReservedIds.THRESHOLD_TAG, total, th.tag().getAsDouble()));
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
                        h.value().replace("{score}", Score.format(total)).replace("{rules}", rules);
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

    /** The verdict of a terminal reject or defer, which answers at the stage where it fired. */
    private static Optional<Verdict> refusal(Firing f) {
        return switch (f.terminal.orElse(null)) {
            case Action.Reject r ->
                    Optional.of(new Verdict.Reject(Verdict.Reason.POLICY, r.reply()));
            case Action.Defer d -> Optional.of(new Verdict.Defer(Verdict.Reason.POLICY, d.reply()));
            case null, default -> Optional.empty();
        };
    }

    /** What a terminal discard or quarantine carries to DATA. */
    private static Disposition disposition(Firing f) {
        return switch (f.terminal.orElse(null)) {
            case Action.Discard d -> Disposition.DISCARD;
            case Action.Quarantine q -> Disposition.QUARANTINE;
            case null, default -> Disposition.NONE;
        };
    }

    private Optional<Decision> earlyReject(Stage stage, List<Hit> hits, double total) {
        RuleSet.Thresholds th = set.thresholds();
        if (th.reject().isEmpty()
                || !set.earlyRejectAt(stage)
                || total < th.reject().getAsDouble()) {
            return Optional.empty();
        }
        List<Hit> all = new ArrayList<>(hits);
        all.add(thresholdHit(ReservedIds.THRESHOLD_REJECT, total, th.reject().getAsDouble()));
        return Optional.of(
                new Decision(
                        new Verdict.Reject(Verdict.Reason.POLICY, Optional.empty()),
                        all,
                        Score.of(total)));
    }

    private Hit thresholdHit(String id, double total, double threshold) {
        return Hit.of(
                id,
                facts.stage(),
                "score " + Score.format(total) + " >= " + Score.format(threshold));
    }

    private Firing run(Stage stage) {
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
                hits.add(new Hit(rule.id(), stage, detail, Score.of(would), true));
                continue;
            }
            fired.add(rule.id());
            switch (action) {
                case Action.Score s -> {
                    double points = scoredOnce.contains(rule.id()) ? 0 : s.points();
                    score += points;
                    scored.add(rule.id());
                    hits.add(new Hit(rule.id(), stage, detail, Score.of(points), false));
                }
                case Action.Tag t -> {
                    tags.add(t.tag());
                    hits.add(Hit.of(rule.id(), stage, detail));
                }
                default -> {
                    hits.add(Hit.of(rule.id(), stage, detail));
                    return new Firing(hits, Optional.of(action), score, tags, fired, scored);
                }
            }
        }
        return new Firing(hits, Optional.empty(), score, tags, fired, scored);
    }

    private double total() {
        return connect.score + helo.score + tx.score;
    }

    private Decision decision(Verdict verdict, List<Hit> hits) {
        return new Decision(verdict, hits, Score.of(total()));
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
                    Hit.of(
                            ReservedIds.INTERNAL_ERROR,
                            stage,
                            e.getClass().getSimpleName() + ": " + e.getMessage());
            return new Decision(
                    new Verdict.Defer(Verdict.Reason.CHECK_FAILED, Optional.empty()),
                    List.of(hit),
                    Score.of(total()));
        }
    }

    /**
     * Scores as written in a policy: {@code 5}, {@code 2.5}, {@code -1.25}. The same as {@link
     * Score#format}, which new code should use; kept because the policy compiler calls it.
     */
    public static String formatScore(double score) {
        return Score.format(score);
    }
}
