package dev.bulwark.smtp;

import dev.bulwark.audit.AuditRecord.RecipientOutcome;
import dev.bulwark.check.Decision;
import dev.bulwark.check.Hit;
import dev.bulwark.check.MailFacts;
import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.Path;
import dev.bulwark.envelope.PathSyntaxException;
import dev.bulwark.envelope.Paths;
import dev.bulwark.envelope.ReversePath;
import dev.bulwark.ratelimit.Subject;
import dev.bulwark.relay.MailOptions;
import dev.bulwark.relay.NextHopReply;
import dev.bulwark.relay.RelayTransaction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The SMTP commands, one method each. Every reply comes from {@link Replies}. The order of checks
 * in each command is: sequence, syntax, limits, relay domains, policy, then the next hop, whose
 * answer for a recipient or a message is ours.
 */
final class Commands {

    private static final Logger log = LoggerFactory.getLogger(Commands.class);

    /** Room for our trace headers in the SIZE we announce to the next hop. */
    private static final long TRACE_ALLOWANCE = 2048;

    private Commands() {}

    // --- EHLO / HELO -------------------------------------------------------------------------

    static void ehlo(Conversation c, String line) throws IOException {
        greet(c, line, true);
    }

    static void helo(Conversation c, String line) throws IOException {
        greet(c, line, false);
    }

    private static void greet(Conversation c, String line, boolean extended) throws IOException {
        String arg = argument(line, 4).trim();
        if (arg.isEmpty() || arg.indexOf(' ') >= 0) {
            c.reply(Replies.HELO_SYNTAX);
            return;
        }
        abandon(c);
        c.helo = Optional.empty();
        Decision d =
                c.allowlisted
                        ? Decision.none()
                        : c.decide(Stage.HELO, () -> c.evaluation.helo(arg));
        c.sessionHits.addAll(d.hits());
        c.sessionScore = Math.max(c.sessionScore, d.score());
        Optional<Reply> refusal = sessionVerdict(c, Stage.HELO, d.verdict());
        if (refusal.isPresent()) {
            c.reply(refusal.get());
            return;
        }
        c.helo = Optional.of(arg);
        c.esmtp = extended;
        String host = c.context.settings().hostname();
        if (!extended) {
            c.reply(new Reply(250, "2.0.0", host));
            return;
        }
        List<String> lines = new ArrayList<>();
        lines.add(host);
        lines.add("PIPELINING");
        lines.add("SIZE " + c.context.limits().maxMessageSize());
        lines.add("8BITMIME");
        lines.add("ENHANCEDSTATUSCODES");
        if (c.context.settings().tls().isPresent() && !c.isTls()) {
            lines.add("STARTTLS");
        }
        lines.add("SMTPUTF8");
        lines.add("CHUNKING");
        c.replyLines(250, lines);
    }

    // --- MAIL --------------------------------------------------------------------------------

    static void mail(Conversation c, String line) throws IOException {
        if (c.helo.isEmpty()) {
            c.reply(Replies.NEED_HELO);
            return;
        }
        if (c.transaction != null) {
            c.reply(Replies.NESTED_MAIL);
            return;
        }
        if (!line.regionMatches(true, 0, "MAIL FROM:", 0, 10)) {
            c.reply(Replies.MAIL_SYNTAX);
            return;
        }
        String[] pathAndParams = splitPath(line.substring(10));
        if (pathAndParams == null) {
            c.reply(Replies.MAIL_SYNTAX);
            return;
        }
        ReversePath sender;
        try {
            sender = Paths.parseReversePath(pathAndParams[0]);
        } catch (PathSyntaxException e) {
            c.reply(Replies.BAD_SENDER);
            return;
        }
        if (sender instanceof Mailbox m && m.isBarePostmaster()) {
            c.reply(Replies.BAD_SENDER);
            return;
        }
        OptionalLong size = OptionalLong.empty();
        boolean eightBit = false;
        boolean utf8 = false;
        for (String param : params(pathAndParams[1])) {
            String key = param.contains("=") ? param.substring(0, param.indexOf('=')) : param;
            String value = param.contains("=") ? param.substring(param.indexOf('=') + 1) : "";
            switch (key.toUpperCase(Locale.ROOT)) {
                case "SIZE" -> {
                    if (value.isEmpty()
                            || value.length() > 18
                            || !value.chars().allMatch(Character::isDigit)) {
                        c.reply(Replies.MAIL_SYNTAX);
                        return;
                    }
                    size = OptionalLong.of(Long.parseLong(value));
                    if (size.getAsLong() > c.context.limits().maxMessageSize()) {
                        c.reply(Replies.SIZE_EXCEEDED);
                        return;
                    }
                }
                case "BODY" -> {
                    if (value.equalsIgnoreCase("8BITMIME")) {
                        eightBit = true;
                    } else if (!value.equalsIgnoreCase("7BIT")) {
                        c.reply(Replies.UNSUPPORTED_PARAMETER);
                        return;
                    }
                }
                case "SMTPUTF8" -> {
                    if (!value.isEmpty()) {
                        c.reply(Replies.MAIL_SYNTAX);
                        return;
                    }
                    utf8 = true;
                }
                default -> {
                    c.reply(Replies.UNSUPPORTED_PARAMETER);
                    return;
                }
            }
        }
        MailFacts facts = new MailFacts(sender, size, utf8, eightBit, c.isTls());
        String id = c.sessionId() + "." + (++c.transactions);
        MailOptions options =
                new MailOptions(
                        size.isPresent()
                                ? OptionalLong.of(size.getAsLong() + TRACE_ALLOWANCE)
                                : OptionalLong.empty(),
                        eightBit,
                        utf8);
        boolean allowlisted = c.allowlisted;
        Decision d =
                allowlisted
                        ? Decision.none()
                        : c.decide(Stage.MAIL, () -> c.evaluation.mail(facts));
        Transaction pending = new Transaction(id, facts, options, null, System.nanoTime());
        pending.hits.addAll(d.hits());
        pending.score = d.score();
        Optional<Reply> refusal = transactionVerdict(pending, Stage.MAIL, d.verdict());
        if (refusal.isPresent()) {
            c.audit(
                    pending,
                    verdictName(refusal.get()),
                    List.of(),
                    refusal.get(),
                    Optional.empty(),
                    0,
                    Optional.empty());
            resetPolicy(c);
            c.reply(refusal.get());
            return;
        }
        Optional<Reply> limited =
                c.limit(
                        Stage.MAIL,
                        Subject.of(c.connection.client()).withSender(sender),
                        pending.hits);
        if (limited.isPresent()) {
            c.audit(
                    pending,
                    verdictName(limited.get()),
                    List.of(),
                    limited.get(),
                    Optional.empty(),
                    0,
                    Optional.empty());
            resetPolicy(c);
            c.reply(limited.get());
            return;
        }
        RelayTransaction relay = c.context.nextHop().begin(sender, options);
        if (!relay.mailReply().isPositive()) {
            Reply reply = Replies.fromNextHopMail(relay.mailReply());
            c.audit(
                    pending,
                    verdictName(reply),
                    List.of(),
                    reply,
                    Optional.of(relay.mailReply()),
                    0,
                    Optional.empty());
            resetPolicy(c);
            c.reply(reply);
            return;
        }
        Transaction t = new Transaction(id, facts, options, relay, pending.startedNanos);
        t.hits.addAll(pending.hits);
        t.score = pending.score;
        t.allowlisted = pending.allowlisted || allowlisted;
        t.pending = pending.pending;
        c.transaction = t;
        c.reply(Replies.SENDER_OK);
    }

    // --- RCPT --------------------------------------------------------------------------------

    static void rcpt(Conversation c, String line) throws IOException {
        Transaction t = c.transaction;
        if (t == null) {
            c.reply(Replies.NEED_MAIL);
            return;
        }
        long started = System.nanoTime();
        try {
            recipient(c, t, line);
        } finally {
            t.rcptNanos += System.nanoTime() - started;
        }
    }

    private static void recipient(Conversation c, Transaction t, String line) throws IOException {
        if (!line.regionMatches(true, 0, "RCPT TO:", 0, 8)) {
            c.reply(Replies.RCPT_SYNTAX);
            return;
        }
        String[] pathAndParams = splitPath(line.substring(8));
        if (pathAndParams == null) {
            c.reply(Replies.RCPT_SYNTAX);
            return;
        }
        Path path;
        try {
            path = Paths.parse(pathAndParams[0]);
        } catch (PathSyntaxException e) {
            // Unparseable, but if it names a domain we do not serve it is a relay attempt all the
            // same.
            String raw = pathAndParams[0];
            boolean foreign = raw.indexOf('@') >= 0;
            Reply reply = foreign ? Replies.RELAY_DENIED : Replies.BAD_RECIPIENT;
            if (foreign) {
                t.hits.add(
                        new Hit(
                                "relay-domains",
                                Stage.RCPT,
                                "unparseable recipient " + TraceHeaders.clean(raw),
                                0,
                                false));
            }
            refuseRecipient(
                    c,
                    t,
                    TraceHeaders.clean(raw),
                    reply,
                    foreign ? List.of("relay-domains") : List.of());
            return;
        }
        if (!params(pathAndParams[1]).isEmpty()) {
            c.reply(Replies.UNSUPPORTED_PARAMETER);
            return;
        }
        Mailbox mailbox = path.mailbox();
        if (t.accepted.size() >= c.context.limits().maxRecipients()) {
            t.hits.add(
                    new Hit(
                            "limit:max-recipients",
                            Stage.RCPT,
                            "over " + c.context.limits().maxRecipients() + " recipients",
                            0,
                            false));
            refuseRecipient(
                    c,
                    t,
                    mailbox.address(),
                    Replies.TOO_MANY_RECIPIENTS,
                    List.of("limit:max-recipients"));
            return;
        }
        Optional<String> relayRefusal = c.context.filter().relayDomains().refusal(path);
        if (relayRefusal.isPresent()) {
            t.hits.add(new Hit("relay-domains", Stage.RCPT, relayRefusal.get(), 0, false));
            refuseRecipient(
                    c, t, mailbox.address(), Replies.RELAY_DENIED, List.of("relay-domains"));
            return;
        }
        if (!t.allowlisted) {
            Decision d = c.decide(Stage.RCPT, () -> c.evaluation.rcpt(mailbox));
            t.hits.addAll(d.hits());
            t.score = Math.max(t.score, d.score());
            Optional<Reply> refusal = transactionVerdict(t, Stage.RCPT, d.verdict());
            if (refusal.isPresent()) {
                refuseRecipient(
                        c,
                        t,
                        mailbox.address(),
                        refusal.get(),
                        d.hits().stream().filter(h -> !h.shadow()).map(Hit::ruleId).toList());
                return;
            }
        }
        List<Hit> limitHits = new ArrayList<>();
        Optional<Reply> limited =
                c.limit(
                        Stage.RCPT,
                        Subject.of(c.connection.client())
                                .withSender(t.mail.sender())
                                .withRecipient(mailbox),
                        limitHits);
        t.hits.addAll(limitHits);
        if (limited.isPresent()) {
            refuseRecipient(
                    c,
                    t,
                    mailbox.address(),
                    limited.get(),
                    limitHits.stream().filter(h -> !h.shadow()).map(Hit::ruleId).toList());
            return;
        }
        NextHopReply answer = t.relay.rcpt(mailbox);
        if (!answer.isPositive()) {
            // With PIPELINING the sender reaches the next hop together with the first recipient.
            Reply reply =
                    t.relay.senderRefused()
                            ? Replies.fromNextHopMail(answer)
                            : Replies.fromNextHopRcpt(answer);
            refuseRecipient(c, t, mailbox.address(), reply, List.of());
            return;
        }
        t.accepted.add(mailbox);
        t.outcomes.add(new RecipientOutcome(mailbox.address(), true, Replies.RECIPIENT_OK.line()));
        c.reply(Replies.RECIPIENT_OK);
    }

    /**
     * {@code rules}: the ids of the rules and limits that refused this recipient, for the audit
     * record.
     */
    private static void refuseRecipient(
            Conversation c, Transaction t, String address, Reply reply, List<String> rules)
            throws IOException {
        t.outcomes.add(new RecipientOutcome(address, false, reply.line(), rules));
        c.reply(reply);
    }

    // --- DATA --------------------------------------------------------------------------------

    static void data(Conversation c, String line) throws IOException {
        if (!line.trim().equalsIgnoreCase("DATA")) {
            c.reply(Replies.NO_PARAMETERS);
            return;
        }
        Transaction t = c.transaction;
        if (t == null) {
            c.reply(Replies.NEED_MAIL);
            return;
        }
        if (t.outcomes.isEmpty()) {
            c.reply(Replies.NEED_RCPT);
            return;
        }
        if (t.accepted.isEmpty()) {
            c.reply(Replies.NO_VALID_RECIPIENTS);
            return;
        }
        if (t.chunks != null) {
            c.reply(Replies.DATA_AFTER_BDAT);
            return;
        }
        c.reply(Replies.START_DATA);
        c.arm(c.context.limits().dataTimeout(), Replies.DATA_TIMEOUT);
        var limits = c.context.limits();
        long started = System.nanoTime();
        try (Spool spool =
                new Spool(
                        c.context.settings().spoolDirectory(),
                        c.context.settings().spoolMemoryThreshold())) {
            DataReader reader =
                    new DataReader(
                            limits.maxMessageSize(),
                            limits.maxDataLine(),
                            limits.maxHeaderBytes(),
                            spool);
            DataReader.Result result;
            try {
                InputStream in = c.session.getRawInput();
                result = reader.read(in);
            } catch (SocketTimeoutException e) {
                c.audit(
                        t,
                        "tempfail",
                        List.of(),
                        Replies.DATA_TIMEOUT,
                        Optional.empty(),
                        0,
                        Optional.empty());
                c.close(Replies.DATA_TIMEOUT);
                return;
            } catch (IOException e) {
                // EOF or reset: the client left in the middle of the message; nothing was relayed.
                c.audit(t, "aborted", List.of(), null, Optional.empty(), 0, Optional.empty());
                throw e;
            } finally {
                t.dataNanos = System.nanoTime() - started;
            }
            c.disarm();
            if (c.isClosed()) {
                return; // the DATA deadline fired while the last bytes arrived
            }
            deliver(c, t, spool, result);
        } finally {
            c.endTransaction();
        }
    }

    /**
     * BDAT (RFC 3030): the chunk's octets are always read before any reply, so a refused chunk can
     * never be taken for commands. Non-last chunks are acknowledged; the last one gets the verdict.
     */
    static void bdat(Conversation c, String line) throws IOException {
        String[] args = line.trim().split(" +");
        boolean last = args.length == 3 && args[2].equalsIgnoreCase("LAST");
        if (args.length < 2
                || args.length > 3
                || (args.length == 3 && !last)
                || args[1].length() > 18
                || !args[1].chars().allMatch(Character::isDigit)) {
            // Without a size we cannot know where the chunk ends: the session cannot be kept in
            // step.
            c.close(Replies.BDAT_SYNTAX);
            return;
        }
        long size = Long.parseLong(args[1]);
        InputStream in = c.session.getRawInput();
        Transaction t = c.transaction;
        Reply refusal =
                t == null
                        ? Replies.NEED_MAIL
                        : t.outcomes.isEmpty()
                                ? Replies.NEED_RCPT
                                : t.accepted.isEmpty()
                                        ? Replies.NO_VALID_RECIPIENTS
                                        : t.chunkFailed ? Replies.BDAT_AFTER_FAILURE : null;
        if (refusal != null) {
            c.arm(c.context.limits().dataTimeout(), Replies.DATA_TIMEOUT);
            in.skipNBytes(size);
            c.disarm();
            if (last && t != null) {
                abandon(c);
            }
            c.reply(refusal);
            return;
        }
        var limits = c.context.limits();
        if (t.chunks == null) {
            t.chunks =
                    new Spool(
                            c.context.settings().spoolDirectory(),
                            c.context.settings().spoolMemoryThreshold());
            t.chunkReader =
                    new DataReader(
                            limits.maxMessageSize(),
                            limits.maxDataLine(),
                            limits.maxHeaderBytes(),
                            t.chunks);
            t.chunksDeadline = c.context.deadlines().now() + limits.dataTimeout().toNanos();
        }
        long left = t.chunksDeadline - c.context.deadlines().now();
        if (left <= 0) {
            c.audit(
                    t,
                    "tempfail",
                    List.of(),
                    Replies.DATA_TIMEOUT,
                    Optional.empty(),
                    0,
                    Optional.empty());
            c.close(Replies.DATA_TIMEOUT);
            return;
        }
        c.arm(java.time.Duration.ofNanos(left), Replies.DATA_TIMEOUT);
        long started = System.nanoTime();
        try {
            t.chunkReader.chunk(in, size);
        } catch (IOException e) {
            c.audit(t, "aborted", List.of(), null, Optional.empty(), 0, Optional.empty());
            throw e;
        } finally {
            t.dataNanos += System.nanoTime() - started;
        }
        c.disarm();
        if (c.isClosed()) {
            return;
        }
        if (!last) {
            if (t.chunkReader.result().problem() == DataReader.Problem.TOO_BIG) {
                t.chunkFailed = true;
                c.reply(Replies.SIZE_EXCEEDED);
                return;
            }
            c.reply(new Reply(250, "2.0.0", size + " octets received"));
            return;
        }
        try {
            deliver(c, t, t.chunks, t.chunkReader.finish());
        } finally {
            c.endTransaction();
        }
    }

    private static void deliver(
            Conversation c, Transaction t, Spool spool, DataReader.Result result)
            throws IOException {
        Reply protocolRefusal =
                switch (result.problem()) {
                    case NONE -> null;
                    case BARE_LINE_ENDING -> Replies.BARE_LINE_ENDING;
                    case TOO_BIG -> Replies.SIZE_EXCEEDED;
                    case HEADER_TOO_BIG -> Replies.HEADER_TOO_BIG;
                    case LINE_TOO_LONG -> Replies.DATA_LINE_TOO_LONG;
                };
        if (protocolRefusal != null) {
            Hit hit =
                    new Hit(
                            "protocol:"
                                    + result.problem()
                                            .name()
                                            .toLowerCase(Locale.ROOT)
                                            .replace('_', '-'),
                            Stage.DATA,
                            protocolRefusal.text(),
                            0,
                            false);
            c.audit(
                    t,
                    "reject",
                    List.of(hit),
                    protocolRefusal,
                    Optional.empty(),
                    result.received(),
                    Optional.empty());
            c.reply(protocolRefusal);
            return;
        }
        List<Hit> limitHits = new ArrayList<>();
        Optional<Reply> limited =
                c.limit(
                        Stage.DATA,
                        Subject.of(c.connection.client())
                                .withSender(t.mail.sender())
                                .withSize(result.received()),
                        limitHits);
        t.hits.addAll(limitHits);
        if (limited.isPresent()) {
            c.audit(
                    t,
                    verdictName(limited.get()),
                    List.of(),
                    limited.get(),
                    Optional.empty(),
                    result.received(),
                    Optional.empty());
            c.reply(limited.get());
            return;
        }
        HeaderScan scan = HeaderScan.of(spool, result.headerEnd());
        Decision d =
                t.allowlisted
                        ? Decision.none()
                        : c.decide(Stage.DATA, () -> c.evaluation.data(spool));
        t.hits.addAll(d.hits());
        t.score = Math.max(t.score, d.score());
        Verdict verdict = finalVerdict(t, d.verdict());
        Reply reply;
        String name;
        Optional<NextHopReply> nextHop = Optional.empty();
        switch (verdict) {
            case Verdict.Reject r -> {
                reply = Replies.refusal(Stage.DATA, r);
                name = r.reason() == Verdict.Reason.CHECK_FAILED ? "tempfail" : "reject";
            }
            case Verdict.Defer df -> {
                reply = Replies.deferral(Stage.DATA, df);
                name = df.reason() == Verdict.Reason.CHECK_FAILED ? "tempfail" : "defer";
            }
            case Verdict.Discard x -> {
                reply = Replies.ACCEPTED;
                name = "discard";
            }
            case Verdict.Quarantine q -> {
                NextHopReply rerouted = t.relay.reroute(t.mail.sender(), t.options, q.mailbox());
                if (!rerouted.isPositive()) {
                    nextHop = Optional.of(rerouted);
                    reply = Replies.CHECK_FAILED;
                    name = "tempfail";
                } else {
                    List<Verdict.Header> extra =
                            List.of(
                                    new Verdict.Header(
                                            "X-Bulwark-Recipients",
                                            String.join(
                                                    ", ",
                                                    t.accepted.stream()
                                                            .map(Mailbox::address)
                                                            .toList())));
                    nextHop =
                            Optional.of(
                                    relay(
                                            c,
                                            t,
                                            spool,
                                            scan,
                                            "quarantine",
                                            Optional.of(q.mailbox()),
                                            Optional.empty(),
                                            extra));
                    reply = Replies.fromNextHopData(nextHop.get(), t.id);
                    name = nextHop.get().isPositive() ? "quarantine" : verdictName(reply);
                }
            }
            case Verdict.Tag tag -> {
                nextHop =
                        Optional.of(
                                relay(
                                        c,
                                        t,
                                        spool,
                                        scan,
                                        "tag",
                                        single(t),
                                        tag.subjectPrefix(),
                                        tag.headers()));
                reply = Replies.fromNextHopData(nextHop.get(), t.id);
                name = nextHop.get().isPositive() ? "tag" : verdictName(reply);
            }
            case Verdict.Accept a -> {
                nextHop =
                        Optional.of(
                                relay(
                                        c,
                                        t,
                                        spool,
                                        scan,
                                        "accept",
                                        single(t),
                                        Optional.empty(),
                                        List.of()));
                reply = Replies.fromNextHopData(nextHop.get(), t.id);
                name = nextHop.get().isPositive() ? "accept" : verdictName(reply);
            }
            case Verdict.Continue x -> {
                nextHop =
                        Optional.of(
                                relay(
                                        c,
                                        t,
                                        spool,
                                        scan,
                                        "accept",
                                        single(t),
                                        Optional.empty(),
                                        List.of()));
                reply = Replies.fromNextHopData(nextHop.get(), t.id);
                name = nextHop.get().isPositive() ? "accept" : verdictName(reply);
            }
        }
        c.audit(t, name, List.of(), reply, nextHop, spool.size(), scan.messageId());
        c.reply(reply);
    }

    private static NextHopReply relay(
            Conversation c,
            Transaction t,
            Spool spool,
            HeaderScan scan,
            String verdict,
            Optional<Mailbox> forClause,
            Optional<String> subjectPrefix,
            List<Verdict.Header> extra) {
        var settings = c.context.settings();
        String with = (c.esmtp ? "ESMTP" : "SMTP") + (c.isTls() ? "S" : "");
        String prefix =
                TraceHeaders.received(
                                c.helo.orElse("unknown"),
                                c.connection.client(),
                                settings.hostname(),
                                with,
                                c.tlsDescription(),
                                t.id,
                                forClause,
                                ZonedDateTime.now(c.context.clock()))
                        + TraceHeaders.bulwark(
                                verdict,
                                Math.max(t.score, c.sessionScore),
                                c.context.filter().digest(),
                                t.id);
        long started = System.nanoTime();
        try {
            return t.relay.data(TraceHeaders.payload(prefix, spool, scan, subjectPrefix, extra));
        } finally {
            t.relayNanos = System.nanoTime() - started;
            t.relayed = true;
        }
    }

    private static Optional<Mailbox> single(Transaction t) {
        return t.accepted.size() == 1 ? Optional.of(t.accepted.get(0)) : Optional.empty();
    }

    /**
     * DATA's verdict, unless it only continues and an earlier stage asked for
     * discard/quarantine/tag.
     */
    private static Verdict finalVerdict(Transaction t, Verdict atData) {
        return switch (atData) {
            case Verdict.Continue x -> t.pending.orElse(atData);
            case Verdict.Accept x -> t.pending.orElse(atData);
            default -> atData;
        };
    }

    // --- RSET, NOOP, QUIT, and the rest ------------------------------------------------------

    static void rset(Conversation c, String line) throws IOException {
        if (!line.trim().equalsIgnoreCase("RSET")) {
            c.reply(Replies.NO_PARAMETERS);
            return;
        }
        abandon(c);
        c.reply(Replies.RESET);
    }

    static void noop(Conversation c, String line) throws IOException {
        c.reply(Replies.OK);
    }

    static void quit(Conversation c, String line) throws IOException {
        abandon(c);
        c.close(Replies.CLOSING);
    }

    static void help(Conversation c, String line) throws IOException {
        c.reply(Replies.HELP);
    }

    static void vrfy(Conversation c, String line) throws IOException {
        c.reply(Replies.VRFY_DISABLED);
    }

    static void auth(Conversation c, String line) throws IOException {
        c.reply(Replies.AUTH_DISABLED);
    }

    static void startTls(Conversation c, String line) throws IOException {
        if (!line.trim().equalsIgnoreCase("STARTTLS")) {
            c.reply(Replies.NO_PARAMETERS);
            return;
        }
        Optional<SSLContext> tls = c.context.settings().tls();
        if (tls.isEmpty()) {
            c.reply(Replies.TLS_UNAVAILABLE);
            return;
        }
        if (c.isTls()) {
            c.reply(Replies.TLS_ACTIVE);
            return;
        }
        // Anything the client sent after STARTTLS was sent in clear text and must not be executed
        // inside the encrypted session (CVE-2011-0411 and its many siblings): drop it.
        InputStream in = c.session.getRawInput();
        int injected = in.available();
        if (injected > 0) {
            in.skipNBytes(injected);
            log.info("{}: discarded {} octets pipelined after STARTTLS", c.logTag(), injected);
        }
        abandon(c);
        c.reply(Replies.READY_TLS);
        GuardedSocket plain = (GuardedSocket) c.session.getSocket();
        SSLSocket ssl =
                (SSLSocket)
                        tls.get()
                                .getSocketFactory()
                                .createSocket(
                                        plain.inner(),
                                        plain.getInetAddress().getHostAddress(),
                                        plain.getPort(),
                                        true);
        ssl.setUseClientMode(false);
        SSLParameters params =
                TlsPolicy.serverParameters(ssl.getSSLParameters(), ssl.getSupportedCipherSuites());
        ssl.setSSLParameters(params);
        try {
            ssl.startHandshake();
        } catch (IOException e) {
            log.info("{}: TLS handshake failed: {}", c.logTag(), e.getMessage());
            c.session.quit();
            return;
        }
        c.session.setSocket(new GuardedSocket(ssl));
        c.session.resetSmtpProtocol();
        c.session.setTlsStarted(true);
        c.helo = Optional.empty();
        c.esmtp = false;
    }

    // --- helpers -----------------------------------------------------------------------------

    /**
     * Ends the open transaction (audited as aborted, or rejected if every recipient was refused).
     */
    static void abandon(Conversation c) {
        Transaction t = c.transaction;
        if (t != null) {
            String verdict = t.accepted.isEmpty() && !t.outcomes.isEmpty() ? "reject" : "aborted";
            c.audit(t, verdict, List.of(), null, Optional.empty(), 0, Optional.empty());
            c.endTransaction();
        }
    }

    private static void resetPolicy(Conversation c) {
        try {
            c.evaluation.reset();
        } catch (RuntimeException e) {
            log.error("{}: policy reset failed", c.logTag(), e);
        }
    }

    /**
     * Connect- and HELO-stage verdicts: refusals, or an allowlisting that covers the whole session.
     */
    static Optional<Reply> sessionVerdict(Conversation c, Stage stage, Verdict v) {
        return switch (v) {
            case Verdict.Reject r -> Optional.of(Replies.refusal(stage, r));
            case Verdict.Defer d -> Optional.of(Replies.deferral(stage, d));
            case Verdict.Accept a -> {
                c.allowlisted = true;
                yield Optional.empty();
            }
            case Verdict.Continue x -> Optional.empty();
            // Content verdicts decided this early would need a transaction; they wait for one.
            case Verdict.Discard x -> Optional.empty();
            case Verdict.Quarantine x -> Optional.empty();
            case Verdict.Tag x -> Optional.empty();
        };
    }

    /** MAIL- and RCPT-stage verdicts; discard/quarantine/tag are remembered for DATA. */
    private static Optional<Reply> transactionVerdict(Transaction t, Stage stage, Verdict v) {
        return switch (v) {
            case Verdict.Reject r -> Optional.of(Replies.refusal(stage, r));
            case Verdict.Defer d -> Optional.of(Replies.deferral(stage, d));
            case Verdict.Accept a -> {
                t.allowlisted = true;
                yield Optional.empty();
            }
            case Verdict.Continue x -> Optional.empty();
            case Verdict.Discard x -> {
                t.pending = Optional.of(v);
                yield Optional.empty();
            }
            case Verdict.Quarantine x -> {
                t.pending = Optional.of(v);
                yield Optional.empty();
            }
            case Verdict.Tag x -> {
                if (t.pending.isEmpty()) {
                    t.pending = Optional.of(v);
                }
                yield Optional.empty();
            }
        };
    }

    static String verdictName(Reply reply) {
        if (reply.code() < 400) {
            return "accept";
        }
        return reply.code() < 500
                ? (reply == Replies.CHECK_FAILED ? "tempfail" : "defer")
                : "reject";
    }

    private static String argument(String line, int verbLength) {
        return line.length() > verbLength ? line.substring(verbLength) : "";
    }

    /**
     * Splits {@code <path> params} after "FROM:" or "TO:". Tolerates a space after the colon and a
     * missing pair of angle brackets, as many real clients need. Returns null on a syntax error.
     */
    static String[] splitPath(String rest) {
        String s = rest.stripLeading();
        if (s.isEmpty()) {
            return null;
        }
        int end;
        if (s.charAt(0) == '<') {
            boolean quoted = false;
            end = -1;
            for (int i = 1; i < s.length(); i++) {
                char ch = s.charAt(i);
                if (ch == '\\' && quoted) {
                    i++;
                } else if (ch == '"') {
                    quoted = !quoted;
                } else if (ch == '>' && !quoted) {
                    end = i + 1;
                    break;
                }
            }
            if (end < 0) {
                return null;
            }
        } else {
            end = s.indexOf(' ');
            if (end < 0) {
                end = s.length();
            }
        }
        String params = s.substring(end);
        if (!params.isEmpty() && params.charAt(0) != ' ') {
            return null;
        }
        return new String[] {s.substring(0, end), params.trim()};
    }

    private static List<String> params(String text) {
        if (text.isBlank()) {
            return List.of();
        }
        return List.of(text.trim().split(" +"));
    }

    static int utf8Length(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return s.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        return s.length();
    }
}
