package dev.bulwark.flow;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Hit;
import dev.bulwark.check.MailFacts;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.ReversePath;
import dev.bulwark.ratelimit.Subject;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** MAIL FROM for one session: opens a transaction, or refuses and audits it. */
final class MailStep {

    /** Room for our trace headers in the SIZE we announce to the next hop. */
    private static final long TRACE_ALLOWANCE = 2048;

    private final FlowSession session;

    MailStep(FlowSession session) {
        this.session = session;
    }

    /**
     * MAIL FROM: the sender's acceptability, the policy's mail stage, the mail rate limits, then
     * the next hop, which must take the sender for the transaction to open.
     */
    Answer run(ReversePath sender, MailParameters parameters) {
        if (sender instanceof Mailbox m && m.isBarePostmaster()) {
            return Answer.of(Stage.MAIL, Replies.BAD_SENDER, session.score);
        }
        OptionalLong size = parameters.size();
        if (size.isPresent()
                && size.getAsLong() > session.flow.policy().limits().maxMessageSize()) {
            return Answer.of(Stage.MAIL, Replies.SIZE_EXCEEDED, session.score);
        }
        MailFacts facts =
                new MailFacts(
                        sender,
                        size,
                        parameters.smtpUtf8(),
                        parameters.eightBitMime(),
                        session.tls.isPresent());
        MailOptions options =
                new MailOptions(
                        size.isPresent()
                                ? OptionalLong.of(size.getAsLong() + TRACE_ALLOWANCE)
                                : OptionalLong.empty(),
                        parameters.eightBitMime(),
                        parameters.smtpUtf8());
        String id = session.nextTransactionId();
        Transaction t =
                new Transaction(
                        id,
                        facts,
                        options,
                        session.flow.nanoTime(),
                        session.record(AuditRecord.Kind.TRANSACTION)
                                .transaction(id)
                                .sender(sender.toSmtp()));
        // The node's caps come before the policy: a client over them costs no evaluation.
        Occupancy.Result entered =
                session.flow.occupancy().enter(session.connection.client(), size.orElse(0));
        if (entered.refused().isPresent()) {
            Occupancy.Refusal full = entered.refused().get();
            Hit hit = Hit.of(full.ruleId(), Stage.MAIL, full.reply().text());
            t.hits.add(hit);
            return closeAtMail(
                    t,
                    full.reply(),
                    Decisions.refusedBy(
                            Verdict.Reason.LIMIT, full.reply(), Decision.none(), List.of(hit)));
        }
        t.claim = entered.claim();
        Decision d = session.decide(Stage.MAIL, () -> session.evaluation().mail(facts));
        t.hits.addAll(d.hits());
        session.score = d.score();
        Optional<Reply> refusal = Decisions.refusal(Stage.MAIL, d.verdict());
        Decision decided = d;
        if (refusal.isEmpty()) {
            List<Hit> limitHits = new ArrayList<>();
            Subject subject = Subject.of(session.connection.client()).withSender(sender);
            refusal = session.limit(Stage.MAIL, subject, limitHits);
            t.hits.addAll(limitHits);
            decided =
                    refusal.isPresent()
                            ? Decisions.refusedBy(Verdict.Reason.LIMIT, refusal.get(), d, limitHits)
                            : Decisions.with(d, limitHits);
        }
        if (refusal.isPresent()) {
            return closeAtMail(t, refusal.get(), decided);
        }
        NextHopTransaction relay = session.flow.nextHop().begin(sender, options);
        if (!relay.mailReply().isPositive()) {
            Reply reply = Replies.fromNextHopMail(relay.mailReply());
            t.nextHop(relay.mailReply(), Stage.MAIL);
            return closeAtMail(
                    t,
                    reply,
                    Decisions.refusedBy(Verdict.Reason.NEXT_HOP, reply, decided, List.of()));
        }
        t.relay = relay;
        session.opened(t);
        return new Answer(Stage.MAIL, Replies.SENDER_OK, false, decided, Optional.empty());
    }

    private Answer closeAtMail(Transaction t, Reply reply, Decision decided) {
        AuditVerdict verdict = Decisions.verdictOf(reply);
        t.release();
        session.finish(t, verdict, Optional.of(reply));
        session.resetEvaluation();
        return new Answer(Stage.MAIL, reply, false, decided, Optional.of(verdict));
    }
}
