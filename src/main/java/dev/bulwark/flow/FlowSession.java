package dev.bulwark.flow;

import dev.bulwark.audit.AuditRecord;
import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Connection;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.Hit;
import dev.bulwark.check.Score;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
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

    final Flow flow;
    final Connection connection;
    private final long startedNanos;
    private Evaluation evaluation;

    /** Hits of the connect stage (and its limits): they hold for the whole session. */
    private final List<Hit> connectHits = new ArrayList<>();

    /**
     * Hits of the latest greeting. A new HELO or EHLO replaces them, as the evaluation replaces its
     * helo state: a client greeting again must not pile up the old greeting's rules.
     */
    private final List<Hit> heloHits = new ArrayList<>();

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
            d = Decisions.failed(Stage.CONNECT, e, score);
        }
        connectHits.addAll(d.hits());
        score = d.score();
        Optional<Reply> refusal = Decisions.refusal(Stage.CONNECT, d.verdict());
        List<Hit> limitHits = new ArrayList<>();
        if (refusal.isEmpty()) {
            refusal = limit(Stage.CONNECT, Subject.of(connection.client()), limitHits);
            connectHits.addAll(limitHits);
        }
        if (refusal.isEmpty()) {
            return new Answer(
                    Stage.CONNECT,
                    Replies.banner(flow.hostname()),
                    false,
                    Decisions.with(d, limitHits),
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
                                .hits(sessionHits())
                                .reply(reply.line())
                                .build(flow.clock().instant()));
        Decision decided =
                Decisions.isRefusal(d.verdict())
                        ? d
                        : Decisions.refusedBy(Verdict.Reason.LIMIT, r, d, limitHits);
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
        heloHits.clear();
        heloHits.addAll(d.hits());
        score = d.score();
        Optional<Reply> refusal = Decisions.refusal(Stage.HELO, d.verdict());
        if (refusal.isPresent()) {
            AuditVerdict verdict = Decisions.verdictOf(refusal.get());
            flow.audit()
                    .record(
                            record(AuditRecord.Kind.GREETING)
                                    .helo(Optional.of(arg))
                                    .verdict(verdict)
                                    .score(score)
                                    .hits(sessionHits())
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
        return new MailStep(this).run(sender, parameters);
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
            return new RcptStep(this, t).run(path);
        } finally {
            t.rcptNanos += flow.nanoTime() - started;
        }
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
            t.incoming = flow.incoming(t.claim);
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

    /** The id of the next transaction: {@code <session>.<n>}. */
    String nextTransactionId() {
        return id() + "." + (++transactions);
    }

    /** MAIL opened {@code t}: it is the session's open transaction now. */
    void opened(Transaction t) {
        transaction = t;
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
                        .hits(sessionHits())
                        .reply(reply.map(Reply::line).orElse(""))
                        .duration("session", since(startedNanos));
        t.complete(flow.nanoTime());
        flow.audit().record(r.build(flow.clock().instant()));
    }

    /** The hits that belong to every transaction of the session: connect and latest greeting. */
    private List<Hit> sessionHits() {
        List<Hit> hits = new ArrayList<>(connectHits.size() + heloHits.size());
        hits.addAll(connectHits);
        hits.addAll(heloHits);
        return hits;
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

    void resetEvaluation() {
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
            return Decisions.failed(stage, e, score);
        }
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
            hits.add(Decisions.internalError(stage, e));
            return Optional.of(Replies.CHECK_FAILED);
        }
        hits.addAll(consumed.hits());
        return consumed.refusal().map(e -> Replies.rateLimited(stage, e.retryAfter().isEmpty()));
    }
}
