package dev.bulwark.flow;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.AuditRecord.NextHopOutcome;
import dev.bulwark.audit.AuditRecord.RecipientOutcome;
import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Connection;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.Hit;
import dev.bulwark.check.MailFacts;
import dev.bulwark.check.ReservedIds;
import dev.bulwark.check.Score;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.Path;
import dev.bulwark.envelope.PathSyntaxException;
import dev.bulwark.envelope.Paths;
import dev.bulwark.envelope.ReversePath;
import dev.bulwark.ratelimit.Consumption;
import dev.bulwark.ratelimit.Subject;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * One SMTP session's transaction flow: one method per SMTP step, each returning the {@link Answer}
 * to give. It owns everything between the client's words and the next hop: the relay domains, the
 * policy's evaluation (which alone keeps allowlisting, carried verdicts and the score), the
 * recipient limit, rate limits, the next hop (each recipient is forwarded live; 250 to the message
 * only after the next hop's 250; quarantine reroutes), the trace headers, and exactly one audit
 * record per transaction, refused connection or refused greeting.
 *
 * <p>Call order: {@link #connect()} once; then {@link #helo} (again at any time), and per
 * transaction {@link #mail}, {@link #rcpt} for each recipient, {@link #incoming()} to receive the
 * message and {@link #data()} to deliver it, or {@link #reset()}; {@link #end()} once when the
 * session is over. The caller checks command syntax and sequence first ({@link #greeted()}, {@link
 * #transactionOpen()}...). Not thread-safe: the session's thread calls it; only {@link #expire} may
 * come from the deadline timer.
 */
public final class FlowSession {

    private static final Logger log = LoggerFactory.getLogger(FlowSession.class);

    /** Room for our trace headers in the SIZE we announce to the next hop. */
    private static final long TRACE_ALLOWANCE = 2048;

    final Flow flow;
    final Connection connection;
    private final long startedNanos;
    private Evaluation evaluation;
    private final List<Hit> sessionHits = new ArrayList<>();
    private int transactions;
    private volatile Transaction transaction;

    /** The running score of the latest decision (the evaluation keeps the sum). */
    Score score = Score.ZERO;

    Optional<String> greeting = Optional.empty();
    boolean esmtp;
    Optional<String> tls = Optional.empty();

    FlowSession(Flow flow, Connection connection) {
        this.flow = flow;
        this.connection = connection;
        this.startedNanos = flow.nanoTime();
    }

    public String id() {
        return connection.sessionId();
    }

    /** How log lines name this session: its id and the policy that decides for it. */
    public String logTag() {
        return "session " + id() + " policy " + flow.policy().digest().shortForm();
    }

    // --- connect and greeting ----------------------------------------------------------------

    /** The policy's connect stage and the connect rate limits; a refusal closes the session. */
    public Answer connect() {
        Decision d;
        try {
            evaluation = flow.policy().filter().begin(connection);
            d = decide(Stage.CONNECT, evaluation::connect);
        } catch (RuntimeException e) {
            log.error("{}: policy could not start", logTag(), e);
            d = failed(Stage.CONNECT, e);
        }
        sessionHits.addAll(d.hits());
        score = d.score();
        Optional<Reply> refusal = refusal(Stage.CONNECT, d.verdict());
        List<Hit> limitHits = new ArrayList<>();
        if (refusal.isEmpty()) {
            refusal = limit(Stage.CONNECT, Subject.of(connection.client()), limitHits);
            sessionHits.addAll(limitHits);
        }
        if (refusal.isEmpty()) {
            return new Answer(
                    Stage.CONNECT,
                    Replies.banner(flow.hostname()),
                    false,
                    with(d, limitHits),
                    Optional.empty());
        }
        // At connect a temporary refusal closes the session: 421, whatever the stage's reply.
        Reply r = refusal.get();
        Reply reply = r.code() == 451 ? new Reply(421, r.enhanced(), r.text()) : r;
        AuditVerdict verdict = reply.isTransient() ? AuditVerdict.DEFER : AuditVerdict.REFUSED;
        flow.audit()
                .record(
                        flow.connectionRecord(connection)
                                .verdict(verdict)
                                .score(score)
                                .hits(sessionHits)
                                .reply(reply.line())
                                .build(flow.clock().instant()));
        Decision decided =
                refused(d.verdict()) ? d : refusedBy(Verdict.Reason.LIMIT, r, d, limitHits);
        return new Answer(Stage.CONNECT, reply, true, decided, Optional.of(verdict));
    }

    /**
     * HELO or EHLO: the argument's syntax, then the policy's helo stage. A new greeting ends an
     * open transaction. A refusal is audited as a greeting record; the session goes on.
     */
    public Answer helo(String argument, boolean extended) {
        String arg = argument.trim();
        if (arg.isEmpty() || arg.indexOf(' ') >= 0) {
            return Answer.of(Stage.HELO, Replies.HELO_SYNTAX, score);
        }
        reset();
        greeting = Optional.empty();
        Decision d = decide(Stage.HELO, () -> evaluation.helo(arg));
        sessionHits.addAll(d.hits());
        score = d.score();
        Optional<Reply> refusal = refusal(Stage.HELO, d.verdict());
        if (refusal.isPresent()) {
            AuditVerdict verdict = verdictOf(refusal.get());
            flow.audit()
                    .record(
                            record(AuditRecord.Kind.GREETING)
                                    .helo(Optional.of(arg))
                                    .verdict(verdict)
                                    .score(score)
                                    .hits(sessionHits)
                                    .reply(refusal.get().line())
                                    .duration("session", since(startedNanos))
                                    .build(flow.clock().instant()));
            return new Answer(Stage.HELO, refusal.get(), false, d, Optional.of(verdict));
        }
        greeting = Optional.of(arg);
        esmtp = extended;
        return new Answer(Stage.HELO, Replies.greeted(flow.hostname()), false, d, Optional.empty());
    }

    /** The session is now encrypted (STARTTLS): the client must greet again. */
    public void secured(String description) {
        reset();
        greeting = Optional.empty();
        esmtp = false;
        tls = Optional.of(description);
    }

    // --- MAIL and RCPT -----------------------------------------------------------------------

    /**
     * MAIL FROM: the sender's acceptability, the policy's mail stage, the mail rate limits, then
     * the next hop, which must take the sender for the transaction to open.
     */
    public Answer mail(ReversePath sender, MailParameters parameters) {
        if (sender instanceof Mailbox m && m.isBarePostmaster()) {
            return Answer.of(Stage.MAIL, Replies.BAD_SENDER, score);
        }
        OptionalLong size = parameters.size();
        if (size.isPresent() && size.getAsLong() > flow.policy().limits().maxMessageSize()) {
            return Answer.of(Stage.MAIL, Replies.SIZE_EXCEEDED, score);
        }
        MailFacts facts =
                new MailFacts(
                        sender,
                        size,
                        parameters.smtpUtf8(),
                        parameters.eightBitMime(),
                        tls.isPresent());
        MailOptions options =
                new MailOptions(
                        size.isPresent()
                                ? OptionalLong.of(size.getAsLong() + TRACE_ALLOWANCE)
                                : OptionalLong.empty(),
                        parameters.eightBitMime(),
                        parameters.smtpUtf8());
        String id = id() + "." + (++transactions);
        Transaction t =
                new Transaction(
                        id,
                        facts,
                        options,
                        flow.nanoTime(),
                        record(AuditRecord.Kind.TRANSACTION)
                                .transaction(id)
                                .sender(sender.toSmtp()));
        Decision d = decide(Stage.MAIL, () -> evaluation.mail(facts));
        t.hits.addAll(d.hits());
        score = d.score();
        Optional<Reply> refusal = refusal(Stage.MAIL, d.verdict());
        Decision decided = d;
        if (refusal.isEmpty()) {
            List<Hit> limitHits = new ArrayList<>();
            Subject subject = Subject.of(connection.client()).withSender(sender);
            refusal = limit(Stage.MAIL, subject, limitHits);
            t.hits.addAll(limitHits);
            decided =
                    refusal.isPresent()
                            ? refusedBy(Verdict.Reason.LIMIT, refusal.get(), d, limitHits)
                            : with(d, limitHits);
        }
        if (refusal.isPresent()) {
            return closeAtMail(t, refusal.get(), decided);
        }
        NextHopTransaction relay = flow.nextHop().begin(sender, options);
        if (!relay.mailReply().isPositive()) {
            Reply reply = Replies.fromNextHopMail(relay.mailReply());
            t.nextHop(relay.mailReply(), Stage.MAIL);
            return closeAtMail(
                    t, reply, refusedBy(Verdict.Reason.NEXT_HOP, reply, decided, List.of()));
        }
        t.relay = relay;
        transaction = t;
        return new Answer(Stage.MAIL, Replies.SENDER_OK, false, decided, Optional.empty());
    }

    private Answer closeAtMail(Transaction t, Reply reply, Decision decided) {
        AuditVerdict verdict = verdictOf(reply);
        finish(t, verdict, Optional.of(reply));
        resetEvaluation();
        return new Answer(Stage.MAIL, reply, false, decided, Optional.of(verdict));
    }

    /**
     * RCPT TO with the path as the client wrote it: its syntax, the recipient limit, the relay
     * domains (an unparseable path naming a domain is a relay attempt all the same), the policy's
     * rcpt stage, the rcpt rate limits, then the next hop, whose answer is ours.
     */
    public Answer rcpt(String path) {
        Transaction t = transaction;
        if (t == null) {
            return Answer.of(Stage.RCPT, Replies.NEED_MAIL, score);
        }
        long started = flow.nanoTime();
        try {
            t.recipientsGiven++;
            return recipient(t, path);
        } finally {
            t.rcptNanos += flow.nanoTime() - started;
        }
    }

    private Answer recipient(Transaction t, String raw) {
        Path path;
        try {
            path = Paths.parse(raw);
        } catch (PathSyntaxException e) {
            String shown = TraceHeaders.clean(raw);
            if (raw.indexOf('@') < 0) {
                return refuseRecipient(
                        t, shown, Answer.of(Stage.RCPT, Replies.BAD_RECIPIENT, score), List.of());
            }
            Hit hit =
                    Hit.of(ReservedIds.RELAY_DOMAINS, Stage.RCPT, "unparseable recipient " + shown);
            return refuseRecipient(
                    t, shown, Replies.RELAY_DENIED, Verdict.Reason.RELAY_DENIED, hit);
        }
        Mailbox mailbox = path.mailbox();
        int max = flow.policy().limits().maxRecipients();
        if (t.accepted.size() >= max) {
            Hit hit = Hit.of(ReservedIds.MAX_RECIPIENTS, Stage.RCPT, "over " + max + " recipients");
            return refuseRecipient(
                    t, mailbox.address(), Replies.TOO_MANY_RECIPIENTS, Verdict.Reason.LIMIT, hit);
        }
        Optional<String> outside = flow.policy().filter().relayDomains().refusal(path);
        if (outside.isPresent()) {
            Hit hit = Hit.of(ReservedIds.RELAY_DOMAINS, Stage.RCPT, outside.get());
            return refuseRecipient(
                    t, mailbox.address(), Replies.RELAY_DENIED, Verdict.Reason.RELAY_DENIED, hit);
        }
        Decision d = decide(Stage.RCPT, () -> evaluation.rcpt(mailbox));
        t.hits.addAll(d.hits());
        score = d.score();
        Optional<Reply> refusal = refusal(Stage.RCPT, d.verdict());
        if (refusal.isPresent()) {
            return refuseRecipient(
                    t,
                    mailbox.address(),
                    new Answer(Stage.RCPT, refusal.get(), false, d, Optional.empty()),
                    d.hits());
        }
        List<Hit> limitHits = new ArrayList<>();
        Subject subject =
                Subject.of(connection.client()).withSender(t.mail.sender()).withRecipient(mailbox);
        Optional<Reply> limited = limit(Stage.RCPT, subject, limitHits);
        t.hits.addAll(limitHits);
        if (limited.isPresent()) {
            Decision decided = refusedBy(Verdict.Reason.LIMIT, limited.get(), d, limitHits);
            return refuseRecipient(
                    t,
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
            Decision decided = refusedBy(Verdict.Reason.NEXT_HOP, reply, d, limitHits);
            // The next hop's refusal names no rule of ours.
            return refuseRecipient(
                    t,
                    mailbox.address(),
                    new Answer(Stage.RCPT, reply, false, decided, Optional.empty()),
                    List.of());
        }
        t.accepted.add(mailbox);
        t.record.recipient(
                new RecipientOutcome(mailbox.address(), true, Replies.RECIPIENT_OK.line()));
        return new Answer(
                Stage.RCPT, Replies.RECIPIENT_OK, false, with(d, limitHits), Optional.empty());
    }

    private Answer refuseRecipient(
            Transaction t, String address, Reply reply, Verdict.Reason reason, Hit hit) {
        t.hits.add(hit);
        Decision decided = new Decision(Answer.refusing(reason, reply), List.of(hit), score);
        return refuseRecipient(
                t,
                address,
                new Answer(Stage.RCPT, reply, false, decided, Optional.empty()),
                List.of(hit));
    }

    /** Records a refused recipient with the ids of the rules and limits that refused it. */
    private Answer refuseRecipient(
            Transaction t, String address, Answer answer, List<Hit> refusing) {
        List<String> rules = refusing.stream().filter(h -> !h.shadow()).map(Hit::ruleId).toList();
        t.record.recipient(new RecipientOutcome(address, false, answer.reply().line(), rules));
        return answer;
    }

    // --- DATA ----------------------------------------------------------------------------------

    /**
     * The open transaction's message as it arrives; the first DATA or BDAT creates it.
     *
     * @throws IllegalStateException if no transaction is open
     */
    public Incoming incoming() {
        Transaction t = open();
        if (t.incoming == null) {
            t.incoming = flow.incoming();
        }
        return t.incoming;
    }

    /**
     * The end of the message: protocol checks, the data rate limits, the policy's verdict, and the
     * next hop's final answer, which is ours. Ends the transaction, with its audit record.
     *
     * @throws IllegalStateException if no transaction is open or its message is not complete
     */
    public Answer data() {
        Transaction t = open();
        if (t.incoming == null || !t.incoming.complete()) {
            throw new IllegalStateException("the message of " + t.id + " is not complete");
        }
        try {
            return new DataStep(this, t).deliver();
        } finally {
            endTransaction();
        }
    }

    /** Adds the time spent reading the message (for the audit record's durations). */
    public void reading(Duration spent) {
        Transaction t = transaction;
        if (t != null) {
            t.dataNanos += spent.toNanos();
        }
    }

    // --- ends ------------------------------------------------------------------------------

    /**
     * RSET, QUIT, a new greeting, STARTTLS: ends the open transaction, audited as rejected if every
     * recipient was refused, as aborted otherwise.
     */
    public void reset() {
        Transaction t = transaction;
        if (t != null) {
            boolean allRefused = t.accepted.isEmpty() && t.recipientsGiven > 0;
            finish(t, allRefused ? AuditVerdict.REJECT : AuditVerdict.ABORTED, Optional.empty());
            endTransaction();
        }
    }

    /** The session is over, however it ended: an open transaction is audited as aborted. */
    public void end() {
        Transaction t = transaction;
        if (t != null) {
            finish(t, AuditVerdict.ABORTED, Optional.empty());
            endTransaction();
        }
    }

    /**
     * A deadline passed and the session closes with {@code reply}: an open transaction is audited
     * as a temporary failure. Safe from the deadline timer's thread; writes at most one record.
     */
    public void expire(Reply reply) {
        Transaction t = transaction;
        if (t != null) {
            finish(t, AuditVerdict.TEMPFAIL, Optional.of(reply));
        }
    }

    // --- what the session layer may ask ----------------------------------------------------------

    /** Whether a greeting was accepted since the session started (or STARTTLS). */
    public boolean greeted() {
        return greeting.isPresent();
    }

    public boolean transactionOpen() {
        return transaction != null;
    }

    /** The open transaction's id, if any (a BDAT sequence belongs to one transaction). */
    public Optional<String> transactionId() {
        Transaction t = transaction;
        return t == null ? Optional.empty() : Optional.of(t.id);
    }

    /** Recipients the client gave in the open transaction, refused ones included. */
    public int recipientsGiven() {
        Transaction t = transaction;
        return t == null ? 0 : t.recipientsGiven;
    }

    /** Recipients accepted in the open transaction. */
    public int recipientsAccepted() {
        Transaction t = transaction;
        return t == null ? 0 : t.accepted.size();
    }

    /** Whether the open transaction's message has started to arrive (DATA or BDAT). */
    public boolean receiving() {
        Transaction t = transaction;
        return t != null && t.incoming != null;
    }

    // --- shared by the steps ---------------------------------------------------------------------

    Evaluation evaluation() {
        return evaluation;
    }

    private Transaction open() {
        Transaction t = transaction;
        if (t == null) {
            throw new IllegalStateException("no transaction is open in session " + id());
        }
        return t;
    }

    AuditRecord.Builder record(AuditRecord.Kind kind) {
        return AuditRecord.builder(
                        kind, id(), connection.client().getHostAddress(), flow.policy().digest())
                .balancer(connection.balancer().map(InetAddress::getHostAddress))
                .tls(tls);
    }

    /** Writes the transaction's audit record, once, whoever gets here first. */
    void finish(Transaction t, AuditVerdict verdict, Optional<Reply> reply) {
        if (!t.audited.compareAndSet(false, true)) {
            return;
        }
        AuditRecord.Builder r =
                t.record
                        .helo(greeting)
                        .tls(tls)
                        .verdict(verdict)
                        .score(score)
                        .hits(sessionHits)
                        .hits(t.hits)
                        .reply(reply.map(Reply::line).orElse(""))
                        .duration("session", since(startedNanos))
                        .duration("transaction", since(t.startedNanos))
                        .duration("rcpt", Duration.ofNanos(t.rcptNanos))
                        .duration("data", Duration.ofNanos(t.dataNanos))
                        .duration("relay", Duration.ofNanos(t.relayNanos));
        t.nextHopAnswer.ifPresent(
                a ->
                        r.nextHop(
                                a.summary(),
                                new NextHopOutcome(
                                        t.nextHopStage,
                                        a.code(),
                                        !a.local(),
                                        t.relayed
                                                ? Optional.of(Duration.ofNanos(t.relayNanos))
                                                : Optional.empty())));
        flow.audit().record(r.build(flow.clock().instant()));
    }

    private Duration since(long nanos) {
        return Duration.ofNanos(flow.nanoTime() - nanos);
    }

    /** Ends the open transaction: the next hop's transaction is abandoned, the policy reset. */
    private void endTransaction() {
        Transaction t = transaction;
        transaction = null;
        if (t != null) {
            t.close();
            resetEvaluation();
        }
    }

    private void resetEvaluation() {
        try {
            evaluation.reset();
        } catch (RuntimeException e) {
            log.error("{}: policy reset failed", logTag(), e);
        }
    }

    /**
     * Asks the policy, failing closed: an exception inside a check becomes a temporary refusal that
     * is logged and audited, never an accept.
     */
    Decision decide(Stage stage, Supplier<Decision> check) {
        try {
            return check.get();
        } catch (RuntimeException e) {
            log.error("{}: policy check at {} failed", logTag(), stage.key(), e);
            return failed(stage, e);
        }
    }

    private Decision failed(Stage stage, RuntimeException e) {
        return new Decision(
                new Verdict.Defer(Verdict.Reason.CHECK_FAILED, Optional.empty()),
                List.of(
                        Hit.of(
                                ReservedIds.INTERNAL_ERROR,
                                stage,
                                e.getClass().getSimpleName() + ": " + e.getMessage())),
                score);
    }

    /**
     * Consumes the rate limits of a stage. Hits (refusing and shadow) are added to {@code hits};
     * returns the reply to refuse with, if a limit refused. A failing limiter fails closed.
     */
    Optional<Reply> limit(Stage stage, Subject subject, List<Hit> hits) {
        Consumption consumed;
        try {
            consumed = flow.limiter().consume(stage, subject);
        } catch (RuntimeException e) {
            log.error("{}: rate limits at {} failed", logTag(), stage.key(), e);
            hits.add(
                    Hit.of(
                            ReservedIds.INTERNAL_ERROR,
                            stage,
                            e.getClass().getSimpleName() + ": " + e.getMessage()));
            return Optional.of(Replies.CHECK_FAILED);
        }
        hits.addAll(consumed.hits());
        return consumed.refusal().map(e -> Replies.rateLimited(stage, e.retryAfter().isEmpty()));
    }

    /** A policy verdict that refuses at the stage where it was given, as a reply. */
    static Optional<Reply> refusal(Stage stage, Verdict v) {
        return switch (v) {
            case Verdict.Reject r -> Optional.of(Replies.refusal(stage, r));
            case Verdict.Defer d -> Optional.of(Replies.deferral(stage, d));
            default -> Optional.empty();
        };
    }

    private static boolean refused(Verdict v) {
        return v instanceof Verdict.Reject || v instanceof Verdict.Defer;
    }

    /** The audit verdict of a refusal (or an acceptance) given with {@code reply}. */
    static AuditVerdict verdictOf(Reply reply) {
        if (reply.code() < 400) {
            return AuditVerdict.ACCEPT;
        }
        if (reply.code() < 500) {
            return reply.equals(Replies.CHECK_FAILED) ? AuditVerdict.TEMPFAIL : AuditVerdict.DEFER;
        }
        return AuditVerdict.REJECT;
    }

    /** {@code d} with more hits of the same step. */
    static Decision with(Decision d, List<Hit> more) {
        if (more.isEmpty()) {
            return d;
        }
        List<Hit> all = new ArrayList<>(d.hits());
        all.addAll(more);
        return new Decision(d.verdict(), all, d.score());
    }

    /** The flow's own refusal after the policy's decision {@code d}, with the step's hits. */
    Decision refusedBy(Verdict.Reason reason, Reply reply, Decision d, List<Hit> more) {
        if (reason != Verdict.Reason.NEXT_HOP && reply.equals(Replies.CHECK_FAILED)) {
            reason = Verdict.Reason.CHECK_FAILED;
        }
        return new Decision(Answer.refusing(reason, reply), with(d, more).hits(), score);
    }
}
