package dev.bulwark.flow;

import dev.bulwark.audit.AuditRecord.RecipientOutcome;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Hit;
import dev.bulwark.check.ReservedIds;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.Path;
import dev.bulwark.envelope.PathSyntaxException;
import dev.bulwark.envelope.Paths;
import dev.bulwark.ratelimit.Subject;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One RCPT of an open transaction: accepted only once the next hop accepted it. */
final class RcptStep {

    private final FlowSession session;
    private final Transaction t;

    RcptStep(FlowSession session, Transaction t) {
        this.session = session;
        this.t = t;
    }

    /**
     * RCPT TO with the path as the client wrote it: its syntax, the recipient limit, the relay
     * domains (an unparseable path naming a domain is a relay attempt all the same), the policy's
     * rcpt stage, the rcpt rate limits, then the next hop, whose answer is ours.
     */
    Answer run(String raw) {
        Path path;
        try {
            path = Paths.parse(raw);
        } catch (PathSyntaxException e) {
            String shown = TraceHeaders.clean(raw);
            if (raw.indexOf('@') < 0) {
                return refuseRecipient(
                        shown,
                        Answer.of(Stage.RCPT, Replies.BAD_RECIPIENT, session.score),
                        List.of());
            }
            Hit hit =
                    Hit.of(ReservedIds.RELAY_DOMAINS, Stage.RCPT, "unparseable recipient " + shown);
            return refuseRecipient(shown, Replies.RELAY_DENIED, Verdict.Reason.RELAY_DENIED, hit);
        }
        Mailbox mailbox = path.mailbox();
        int max = session.flow.policy().limits().maxRecipients();
        if (t.accepted.size() >= max) {
            Hit hit = Hit.of(ReservedIds.MAX_RECIPIENTS, Stage.RCPT, "over " + max + " recipients");
            return refuseRecipient(
                    mailbox.address(), Replies.TOO_MANY_RECIPIENTS, Verdict.Reason.LIMIT, hit);
        }
        Optional<String> outside = session.flow.policy().filter().relayDomains().refusal(path);
        if (outside.isPresent()) {
            Hit hit = Hit.of(ReservedIds.RELAY_DOMAINS, Stage.RCPT, outside.get());
            return refuseRecipient(
                    mailbox.address(), Replies.RELAY_DENIED, Verdict.Reason.RELAY_DENIED, hit);
        }
        Decision d = session.decide(Stage.RCPT, () -> session.evaluation().rcpt(mailbox));
        t.hits.addAll(d.hits());
        session.score = d.score();
        Optional<Reply> refusal = Decisions.refusal(Stage.RCPT, d.verdict());
        if (refusal.isPresent()) {
            return refuseRecipient(
                    mailbox.address(),
                    new Answer(Stage.RCPT, refusal.get(), false, d, Optional.empty()),
                    d.hits());
        }
        List<Hit> limitHits = new ArrayList<>();
        Subject subject =
                Subject.of(session.connection.client())
                        .withSender(t.mail.sender())
                        .withRecipient(mailbox);
        Optional<Reply> limited = session.limit(Stage.RCPT, subject, limitHits);
        t.hits.addAll(limitHits);
        if (limited.isPresent()) {
            Decision decided =
                    Decisions.refusedBy(Verdict.Reason.LIMIT, limited.get(), d, limitHits);
            return refuseRecipient(
                    mailbox.address(),
                    new Answer(Stage.RCPT, limited.get(), false, decided, Optional.empty()),
                    limitHits);
        }
        NextHopReply answer = t.relay.rcpt(mailbox);
        if (!answer.isPositive()) {
            // With PIPELINING the sender reaches the next hop together with the first recipient.
            Reply reply =
                    t.relay.senderRefused()
                            ? Replies.fromNextHopMail(answer)
                            : Replies.fromNextHopRcpt(answer);
            Decision decided = Decisions.refusedBy(Verdict.Reason.NEXT_HOP, reply, d, limitHits);
            // The next hop's refusal names no rule of ours.
            return refuseRecipient(
                    mailbox.address(),
                    new Answer(Stage.RCPT, reply, false, decided, Optional.empty()),
                    List.of());
        }
        t.accepted.add(mailbox);
        t.record.recipient(
                new RecipientOutcome(mailbox.address(), true, Replies.RECIPIENT_OK.line()));
        return new Answer(
                Stage.RCPT,
                Replies.RECIPIENT_OK,
                false,
                Decisions.with(d, limitHits),
                Optional.empty());
    }

    private Answer refuseRecipient(String address, Reply reply, Verdict.Reason reason, Hit hit) {
        t.hits.add(hit);
        Decision decided =
                new Decision(Answer.refusing(reason, reply), List.of(hit), session.score);
        return refuseRecipient(
                address,
                new Answer(Stage.RCPT, reply, false, decided, Optional.empty()),
                List.of(hit));
    }

    /** Records a refused recipient with the ids of the rules and limits that refused it. */
    private Answer refuseRecipient(String address, Answer answer, List<Hit> refusing) {
        List<String> rules = refusing.stream().filter(h -> !h.shadow()).map(Hit::ruleId).toList();
        t.record.recipient(new RecipientOutcome(address, false, answer.reply().line(), rules));
        return answer;
    }
}
