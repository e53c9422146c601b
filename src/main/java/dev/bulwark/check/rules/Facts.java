package dev.bulwark.check.rules;

import dev.bulwark.auth.Authentication;
import dev.bulwark.auth.ListResult;
import dev.bulwark.check.AuthenticationFacts;
import dev.bulwark.check.Message;
import dev.bulwark.check.Stage;
import dev.bulwark.check.mime.MessageBudget;
import dev.bulwark.check.mime.MimeParser;
import dev.bulwark.check.mime.ParsedMessage;
import dev.bulwark.classifier.Classifier;
import dev.bulwark.classifier.Score;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.ReversePath;
import dev.bulwark.regex.Fold;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What conditions read: the session's facts so far. One instance per session, owned by its {@link
 * RuleEvaluation}; the message is read and parsed only when a rule first needs it, within the
 * session's {@link MessageBudget} (ADR 0012).
 */
public final class Facts {

    private final InetAddress client;
    private Stage stage = Stage.CONNECT;
    private String helo = "";
    private ReversePath sender = ReversePath.nullPath();
    private Mailbox recipient;
    private final List<Mailbox> recipients = new ArrayList<>();
    private Message message;
    private byte[] raw;
    private ParsedMessage parsed;
    private String lowerText;
    private String lowerSubject;
    private final RuleSet.Literals literals;
    private final MessageBudget budget;
    private java.util.function.Predicate<String> bodyLiterals;
    private java.util.function.Predicate<String> rawLiterals;
    private AuthenticationFacts authentication = AuthenticationFacts.NONE;
    private List<ListResult> uriLists;
    private final Optional<Classifier> classifier;
    private Score classification;

    Facts(InetAddress client, RuleSet.Literals literals) {
        this(client, literals, MessageBudget.defaults(), Optional.empty());
    }

    /**
     * Facts whose message is parsed within {@code budget}, which a policy derives from its largest
     * message: {@code MessageBudget.forMaxMessageSize(limits.maxMessageSize())}.
     */
    Facts(InetAddress client, RuleSet.Literals literals, MessageBudget budget) {
        this(client, literals, budget, Optional.empty());
    }

    /** Facts that include the spam probability of the policy's classifier, if it has one. */
    Facts(
            InetAddress client,
            RuleSet.Literals literals,
            MessageBudget budget,
            Optional<Classifier> classifier) {
        this.client = client;
        this.literals = literals;
        this.budget = java.util.Objects.requireNonNull(budget, "budget");
        this.classifier = java.util.Objects.requireNonNull(classifier, "classifier");
    }

    /** What parsing the message may cost. */
    public MessageBudget budget() {
        return budget;
    }

    /**
     * The budgets that ran out while the message was parsed (parsing it if no rule has yet), in the
     * order they did; empty when it was inspected whole. For rules and the audit record: the policy
     * decides what an exceeded budget means.
     */
    public List<MessageBudget.Kind> budgetExceeded() {
        return message == null ? List.of() : parsed().budgetExceeded();
    }

    public Stage stage() {
        return stage;
    }

    public InetAddress client() {
        return client;
    }

    /** The HELO/EHLO argument, empty if the client has not greeted. */
    public String helo() {
        return helo;
    }

    public ReversePath sender() {
        return sender;
    }

    /** The recipient being judged at the RCPT stage. */
    public Mailbox recipient() {
        return recipient;
    }

    /** Every recipient of the transaction that rules have not refused. */
    public List<Mailbox> recipients() {
        return recipients;
    }

    public long size() {
        return message == null ? 0 : message.size();
    }

    /**
     * The raw message: the one buffer it is read into, once, whether it was in memory or spilled,
     * and which the MIME parser reads as windows. At most {@link MessageBudget#bytes()} octets: of
     * a longer message, raw rules see (and the parser parses) only that many, and the bytes budget
     * is reported exceeded.
     */
    public byte[] raw() {
        if (raw == null) {
            try (InputStream in = message.open()) {
                long size = Math.min(message.size(), budget.bytes());
                byte[] buffer = new byte[(int) size];
                int n = in.readNBytes(buffer, 0, buffer.length);
                raw = n == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, n);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the message", e);
            }
        }
        return raw;
    }

    public ParsedMessage parsed() {
        if (parsed == null) {
            parsed = MimeParser.parse(raw(), message.size(), budget);
        }
        return parsed;
    }

    /**
     * What sender authentication and the client lists found so far; waits, within the transaction's
     * DNS budget, for checks that are still running.
     */
    public Authentication authentication() {
        return authentication.current();
    }

    /** What the policy's URI lists say about the hosts of the message's links (once a message). */
    public List<ListResult> uriLists() {
        if (uriLists == null) {
            uriLists = authentication.uriLists(parsed().urlHosts());
        }
        return uriLists;
    }

    void authentication(AuthenticationFacts source) {
        this.authentication = java.util.Objects.requireNonNull(source, "source");
    }

    /**
     * The policy classifier's judgement of the message, computed once from the parsed message;
     * empty when the policy has no classifier or there is no message yet.
     */
    public Optional<Score> classification() {
        if (classifier.isEmpty() || message == null) {
            return Optional.empty();
        }
        if (classification == null) {
            classification = classifier.get().score(raw(), parsed());
        }
        return Optional.of(classification);
    }

    /** The decoded text, case-folded ({@link Fold}). */
    String foldedText() {
        if (lowerText == null) {
            lowerText = Fold.fold(parsed().text());
        }
        return lowerText;
    }

    String foldedSubject() {
        if (lowerSubject == null) {
            lowerSubject = Fold.fold(parsed().subject());
        }
        return lowerSubject;
    }

    /** Which prefilter literals the decoded text contains: one scan for every body pattern. */
    java.util.function.Predicate<String> bodyLiterals() {
        if (bodyLiterals == null) {
            bodyLiterals = literals.body().scan(foldedText());
        }
        return bodyLiterals;
    }

    /** Which prefilter literals the raw message contains. */
    java.util.function.Predicate<String> rawLiterals() {
        if (rawLiterals == null) {
            rawLiterals = literals.raw().scanAscii(raw());
        }
        return rawLiterals;
    }

    void stage(Stage s) {
        this.stage = s;
    }

    void helo(String h) {
        this.helo = h;
    }

    void sender(ReversePath s) {
        this.sender = s;
    }

    void recipient(Mailbox r) {
        this.recipient = r;
    }

    void message(Message m) {
        this.message = m;
        this.raw = null;
        this.parsed = null;
        this.lowerText = null;
        this.lowerSubject = null;
        this.bodyLiterals = null;
        this.rawLiterals = null;
        this.uriLists = null;
        this.classification = null;
    }

    void resetTransaction() {
        sender = ReversePath.nullPath();
        recipient = null;
        recipients.clear();
        message(null);
    }
}
