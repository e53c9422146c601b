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
import dev.bulwark.check.rules.RuleRunner.Firing;
import dev.bulwark.envelope.Mailbox;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
    private final RuleRunner runner;

    // session: connect
    private Verdict connectRefusal;
    private boolean connectAccepted;
    private Disposition connectDisposition = Disposition.NONE;
    private final RuleRunner.Part connect = new RuleRunner.Part();
    // session: helo (replaced on each greeting)
    private boolean heloAccepted;
    private Disposition heloDisposition = Disposition.NONE;
    private final RuleRunner.Part helo = new RuleRunner.Part();
    // transaction
    private boolean txAccepted;
    private Disposition txDisposition = Disposition.NONE;
    private final RuleRunner.Part tx = new RuleRunner.Part();
    private final Set<String> scoredOnce = new HashSet<>();
    private int recipients;
    private int allowlisted;

    public RuleEvaluation(RuleSet set, java.net.InetAddress client) {
        this.set = set;
        this.facts =
                new Facts(
                        client,
                        set.literals(),
                        dev.bulwark.check.mime.MessageBudget.defaults(),
                        set.classifier());
        this.runner = new RuleRunner(set, facts);
    }

    @Override
    public void authentication(dev.bulwark.check.AuthenticationFacts source) {
        facts.authentication(source);
    }

    @Override
    public Decision connect() {
        return guard(
                Stage.CONNECT,
                () -> {
                    facts.stage(Stage.CONNECT);
                    Firing f = runner.run(scoredOnce, Stage.CONNECT);
                    connect.add(f);
                    Optional<Verdict> refusal = f.refusal();
                    if (refusal.isPresent()) {
                        connectRefusal = refusal.get();
                        return decision(connectRefusal, f.hits());
                    }
                    if (f.accepts()) {
                        connectAccepted = true;
                        return decision(Verdict.ACCEPT, f.hits());
                    }
                    connectDisposition = disposition(f);
                    Optional<Decision> early = earlyReject(Stage.CONNECT, f.hits(), total());
                    if (early.isPresent()) {
                        connectRefusal = early.get().verdict();
                        return early.get();
                    }
                    return decision(Verdict.CONTINUE, f.hits());
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
                    Firing f = runner.run(scoredOnce, Stage.HELO);
                    Optional<Verdict> refusal = f.refusal();
                    if (refusal.isPresent()) {
                        return decision(refusal.get(), f.hits());
                    }
                    helo.add(f);
                    if (f.accepts()) {
                        heloAccepted = true;
                        return decision(Verdict.ACCEPT, f.hits());
                    }
                    heloDisposition = disposition(f);
                    Optional<Decision> early = earlyReject(Stage.HELO, f.hits(), total());
                    if (early.isPresent()) {
                        helo.clear(); // a client may greet again; the next greeting starts afresh
                        return early.get();
                    }
                    return decision(Verdict.CONTINUE, f.hits());
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
                    Firing f = runner.run(scoredOnce, Stage.MAIL);
                    Optional<Verdict> refusal = f.refusal();
                    if (refusal.isPresent()) {
                        return decision(refusal.get(), f.hits());
                    }
                    tx.add(f);
                    if (f.accepts()) {
                        txAccepted = true;
                        return decision(Verdict.ACCEPT, f.hits());
                    }
                    txDisposition = disposition(f);
                    scoredOnce.addAll(f.scored());
                    Optional<Decision> early = earlyReject(Stage.MAIL, f.hits(), total());
                    if (early.isPresent()) {
                        reset();
                        return early.get();
                    }
                    return decision(Verdict.CONTINUE, f.hits());
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
                    Firing f = runner.run(scoredOnce, Stage.RCPT);
                    Optional<Verdict> refusal = f.refusal();
                    if (refusal.isPresent()) {
                        return decision(refusal.get(), f.hits());
                    }
                    Optional<Decision> early =
                            earlyReject(Stage.RCPT, f.hits(), total() + f.score());
                    if (early.isPresent()) {
                        return early.get();
                    }
                    tx.add(f);
                    scoredOnce.addAll(f.scored());
                    boolean accepted = f.accepts();
                    counted(recipient, accepted);
                    if (accepted) {
                        return decision(Verdict.ACCEPT, f.hits());
                    }
                    if (disposition(f) != Disposition.NONE) {
                        txDisposition = disposition(f);
                    }
                    return decision(Verdict.CONTINUE, f.hits());
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
                    Decision d = judge(message);
                    // every message the policy looked at carries the probability, for the audit
                    // record and the trace header, whether or not a rule asked for it
                    return facts.classification()
                            .map(s -> d.withClassifier(s.probability()))
                            .orElse(d);
                });
    }

    private Decision judge(Message message) {
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
                strongest(strongest(connectDisposition, heloDisposition), txDisposition);
        if (disposition == Disposition.NONE) {
            Firing f = runner.run(scoredOnce, Stage.DATA);
            hits.addAll(f.hits());
            Optional<Verdict> refusal = f.refusal();
            if (refusal.isPresent()) {
                return decision(refusal.get(), hits);
            }
            tx.add(f);
            if (f.accepts()) {
                return decision(Verdict.ACCEPT, hits);
            }
            disposition = disposition(f);
        }
        return dispose(disposition, hits);
    }

    /** The end of DATA: thresholds and carried dispositions become the message's verdict. */
    private Decision dispose(Disposition disposition, List<Hit> hits) {
        double total = total();
        RuleSet.Thresholds th = set.thresholds();
        if (th.reject().isPresent() && total >= th.reject().getAsDouble()) {
            hits.add(
                    runner.threshold(
                            ReservedIds.THRESHOLD_REJECT, total, th.reject().getAsDouble()));
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
                        runner.threshold(
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
            hits.add(runner.threshold(ReservedIds.THRESHOLD_TAG, total, th.tag().getAsDouble()));
            tags.add(set.defaultTag());
        }
        if (!tags.isEmpty()) {
            List<String> fired = new ArrayList<>();
            fired.addAll(connect.fired);
            fired.addAll(helo.fired);
            fired.addAll(tx.fired);
            return decision(RuleRunner.tag(tags, total, fired), hits);
        }
        return decision(Verdict.CONTINUE, hits);
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

    /** What a terminal discard or quarantine carries to DATA. */
    private static Disposition disposition(Firing f) {
        return switch (f.terminal().orElse(null)) {
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
        all.add(runner.threshold(ReservedIds.THRESHOLD_REJECT, total, th.reject().getAsDouble()));
        return Optional.of(
                new Decision(
                        new Verdict.Reject(Verdict.Reason.POLICY, Optional.empty()),
                        all,
                        Score.of(total)));
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
