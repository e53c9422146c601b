package dev.bulwark.flow;

import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Hit;
import dev.bulwark.check.ReservedIds;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.ratelimit.Subject;

import java.io.IOException;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The end of one message: what DATA (or BDAT LAST) leads to. In order: the protocol checks made
 * while reading, the data rate limits, the policy's verdict, then the next hop for what is relayed
 * (the message with our trace headers; 250 to the client only after the next hop's 250), and the
 * transaction's audit record. One instance per message.
 */
final class DataStep {

    /**
     * A message that already carries this many {@code Received} fields is in a mail loop (Postfix's
     * {@code hopcount_limit}, whose default this is): refused with 554 5.4.6 (RFC 5321 section 6.3)
     * instead of being relayed round again.
     */
    static final int MAX_HOPS = 50;

    private final FlowSession session;
    private final Transaction t;
    private HeaderScan scan;

    DataStep(FlowSession session, Transaction t) {
        this.session = session;
        this.t = t;
    }

    Answer deliver() {
        DataReader.Result result = t.incoming.result();
        if (t.incoming.overBudget()) {
            return overBudget(result);
        }
        if (result.problem() != DataReader.Problem.NONE) {
            return protocolRefusal(result);
        }
        List<Hit> limitHits = new ArrayList<>();
        Subject subject =
                Subject.of(session.connection.client())
                        .withSender(t.mail.sender())
                        .withSize(result.received());
        Optional<Reply> limited = session.limit(Stage.DATA, subject, limitHits);
        t.hits.addAll(limitHits);
        if (limited.isPresent()) {
            Decision decided =
                    Decisions.refusedBy(
                            Verdict.Reason.LIMIT, limited.get(), Decision.none(), limitHits);
            t.record.message(result.received(), Optional.empty());
            return finish(limited.get(), Decisions.verdictOf(limited.get()), decided);
        }
        Spool spool = t.incoming.spool();
        try {
            scan = HeaderScan.of(spool, result.headerEnd());
        } catch (IOException e) {
            return unreadable(e);
        }
        t.record.message(spool.size(), scan.messageId());
        if (scan.received() >= MAX_HOPS) {
            return refuse(
                    Replies.TOO_MANY_HOPS,
                    ReservedIds.TOO_MANY_HOPS,
                    scan.received() + " Received fields, the limit is " + MAX_HOPS);
        }
        if (session.auth != null) {
            session.auth.data(spool);
        }
        Decision policy = session.decide(Stage.DATA, () -> session.evaluation().data(spool));
        t.hits.addAll(policy.hits());
        session.score = policy.score();
        t.record.classifier(policy.classifier());
        Decision d = Decisions.with(policy, limitHits);
        return switch (d.verdict()) {
            case Verdict.Reject r -> {
                Reply reply = Replies.refusal(Stage.DATA, r);
                boolean failed = r.reason() == Verdict.Reason.CHECK_FAILED;
                yield finish(reply, failed ? AuditVerdict.TEMPFAIL : AuditVerdict.REJECT, d);
            }
            case Verdict.Defer df -> {
                Reply reply = Replies.deferral(Stage.DATA, df);
                boolean failed = df.reason() == Verdict.Reason.CHECK_FAILED;
                yield finish(reply, failed ? AuditVerdict.TEMPFAIL : AuditVerdict.DEFER, d);
            }
            case Verdict.Discard x -> finish(Replies.ACCEPTED, AuditVerdict.DISCARD, d);
            case Verdict.Quarantine q -> quarantine(q, d);
            case Verdict.Tag tag ->
                    relay(AuditVerdict.TAG, t.single(), tag.subjectPrefix(), tag.headers(), d);
            case Verdict.Accept a ->
                    relay(AuditVerdict.ACCEPT, t.single(), Optional.empty(), List.of(), d);
            case Verdict.Continue c ->
                    relay(AuditVerdict.ACCEPT, t.single(), Optional.empty(), List.of(), d);
        };
    }

    /**
     * The node's in-flight budget ran out while the message arrived, so it was not kept whole: a
     * temporary failure, since the sender's MTA still has it and the budget frees as others end.
     */
    private Answer overBudget(DataReader.Result result) {
        Reply reply = Replies.INSUFFICIENT_STORAGE;
        Hit hit = Hit.of(ReservedIds.IN_FLIGHT_BYTES, Stage.DATA, reply.text());
        t.hits.add(hit);
        t.record.message(result.received(), Optional.empty());
        return finish(
                reply,
                AuditVerdict.DEFER,
                Decisions.refusedBy(Verdict.Reason.LIMIT, reply, Decision.none(), List.of(hit)));
    }

    /** The spooled message cannot be read back (a vanished spill file): fail closed. */
    private Answer unreadable(IOException e) {
        Hit hit =
                Hit.of(
                        ReservedIds.INTERNAL_ERROR,
                        Stage.DATA,
                        "cannot read the message: " + e.getMessage());
        t.hits.add(hit);
        Reply reply = Replies.CHECK_FAILED;
        Decision decided =
                new Decision(
                        Answer.refusing(Verdict.Reason.CHECK_FAILED, reply),
                        List.of(hit),
                        session.score);
        return finish(reply, AuditVerdict.TEMPFAIL, decided);
    }

    /** A bare line ending, a message or header too big, a line too long: refused, not evaluated. */
    private Answer protocolRefusal(DataReader.Result result) {
        Reply reply =
                switch (result.problem()) {
                    case BARE_LINE_ENDING -> Replies.BARE_LINE_ENDING;
                    case NUL -> Replies.NUL_IN_MESSAGE;
                    case TOO_BIG -> Replies.SIZE_EXCEEDED;
                    case HEADER_TOO_BIG -> Replies.HEADER_TOO_BIG;
                    case LINE_TOO_LONG -> Replies.DATA_LINE_TOO_LONG;
                    case NONE -> throw new IllegalArgumentException("no problem to refuse");
                };
        t.record.message(result.received(), Optional.empty());
        return refuse(reply, ReservedIds.protocol(result.problem().name()), reply.text());
    }

    /** Refuses the message for a protocol reason, before the policy sees it. */
    private Answer refuse(Reply reply, String id, String detail) {
        Hit hit = Hit.of(id, Stage.DATA, detail);
        t.hits.add(hit);
        Decision decided =
                new Decision(
                        Answer.refusing(Verdict.Reason.PROTOCOL, reply),
                        List.of(hit),
                        session.score);
        return finish(reply, AuditVerdict.REJECT, decided);
    }

    /** Reroutes the transaction to the quarantine mailbox, naming the original recipients. */
    private Answer quarantine(Verdict.Quarantine q, Decision d) {
        NextHopReply rerouted = t.relay.reroute(t.mail.sender(), t.options, q.mailbox());
        if (!rerouted.isPositive()) {
            t.nextHop(rerouted, Stage.DATA);
            Reply reply = Replies.CHECK_FAILED;
            return finish(
                    reply,
                    AuditVerdict.TEMPFAIL,
                    Decisions.refusedBy(Verdict.Reason.NEXT_HOP, reply, d, List.of()));
        }
        String recipients = String.join(", ", t.accepted.stream().map(Mailbox::address).toList());
        return relay(
                AuditVerdict.QUARANTINE,
                Optional.of(q.mailbox()),
                Optional.empty(),
                List.of(new Verdict.Header("X-Bulwark-Recipients", recipients)),
                d);
    }

    /**
     * Streams the message with our trace headers to the next hop; its final answer is ours, and
     * decides the audit verdict when it is not positive.
     */
    private Answer relay(
            AuditVerdict verdict,
            Optional<Mailbox> forClause,
            Optional<String> subjectPrefix,
            List<Verdict.Header> extra,
            Decision d) {
        Flow flow = session.flow;
        String with = (session.esmtp ? "ESMTP" : "SMTP") + (session.tls.isPresent() ? "S" : "");
        String prefix =
                TraceHeaders.received(
                                session.greeting.orElse("unknown"),
                                session.connection.client(),
                                flow.hostname(),
                                with,
                                session.tls,
                                t.id,
                                forClause,
                                ZonedDateTime.now(flow.clock()))
                        + TraceHeaders.bulwark(
                                verdict, d.score(), d.classifier(), flow.policy().digest(), t.id)
                        + flow.authenticator()
                                .map(a -> a.header(session.auth.current()))
                                .orElse("");
        // Fields that claim to speak for us were not written by us: they go (RFC 8601 section 5).
        List<HeaderScan.Field> forged =
                flow.authenticator()
                        .map(
                                a ->
                                        scan.authenticationResults().stream()
                                                .filter(f -> a.claimsOurId(f.value())))
                        .orElse(java.util.stream.Stream.empty())
                        .toList();
        // The client's own X-Bulwark* fields go too: only we write those.
        List<HeaderScan.Field> removed =
                java.util.stream.Stream.concat(scan.ours().stream(), forged.stream())
                        .sorted(java.util.Comparator.comparingLong(HeaderScan.Field::start))
                        .toList();
        Spool spool = t.incoming.spool();
        long started = flow.nanoTime();
        NextHopReply answer;
        try {
            answer =
                    t.relay.data(
                            TraceHeaders.payload(
                                    prefix, spool, scan, removed, subjectPrefix, extra));
        } finally {
            t.relayNanos = flow.nanoTime() - started;
            t.relayed = true;
        }
        t.nextHop(answer, Stage.DATA);
        Reply reply = Replies.fromNextHopData(answer, t.id);
        if (answer.isPositive()) {
            return finish(reply, verdict, d);
        }
        return finish(
                reply,
                Decisions.verdictOf(reply),
                Decisions.refusedBy(Verdict.Reason.NEXT_HOP, reply, d, List.of()));
    }

    private Answer finish(Reply reply, AuditVerdict verdict, Decision decided) {
        session.finish(t, verdict, Optional.of(reply));
        return new Answer(Stage.DATA, reply, false, decided, Optional.of(verdict));
    }
}
