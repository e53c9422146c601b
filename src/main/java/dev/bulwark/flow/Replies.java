package dev.bulwark.flow;

import dev.bulwark.check.Stage;
import dev.bulwark.check.Verdict;

import java.util.Optional;

/**
 * The catalogue of every reply Bulwark sends: the transaction flow's policy replies and the SMTP
 * session's protocol replies alike. Texts never name a rule, regex, file or host: the reason goes
 * to the audit log, the client gets a code, an enhanced code and a plain sentence.
 */
public final class Replies {

    private Replies() {}

    // Session
    /** The banner, as the server library also writes it. */
    public static Reply banner(String hostname) {
        return new Reply(220, "", hostname + " ESMTP Bulwark");
    }

    /** The reply to an accepted HELO (an EHLO adds the extension keywords). */
    public static Reply greeted(String hostname) {
        return new Reply(250, "2.0.0", hostname);
    }

    public static final Reply CLOSING = new Reply(221, "2.0.0", "Bye");
    public static final Reply OK = new Reply(250, "2.0.0", "Ok");
    public static final Reply RESET = new Reply(250, "2.0.0", "Reset");
    public static final Reply HELP =
            new Reply(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT STARTTLS");
    public static final Reply SENDER_OK = new Reply(250, "2.1.0", "Sender ok");
    public static final Reply RECIPIENT_OK = new Reply(250, "2.1.5", "Recipient ok");
    public static final Reply START_DATA = new Reply(354, "", "End data with <CR><LF>.<CR><LF>");
    public static final Reply READY_TLS = new Reply(220, "2.0.0", "Ready to start TLS");

    /** The acknowledgement of a BDAT chunk that is not the last. */
    public static Reply chunkReceived(long octets) {
        return new Reply(250, "2.0.0", octets + " octets received");
    }

    // Sequence and syntax
    public static final Reply UNKNOWN_COMMAND = new Reply(500, "5.5.1", "Command unrecognized");
    public static final Reply NEED_HELO = new Reply(503, "5.5.1", "Send EHLO or HELO first");
    public static final Reply NEED_MAIL = new Reply(503, "5.5.1", "Need MAIL command first");
    public static final Reply NEED_RCPT = new Reply(503, "5.5.1", "Need RCPT command first");
    public static final Reply NESTED_MAIL = new Reply(503, "5.5.1", "Nested MAIL command");
    public static final Reply NO_VALID_RECIPIENTS = new Reply(554, "5.5.1", "No valid recipients");
    public static final Reply HELO_SYNTAX = new Reply(501, "5.5.4", "Syntax: EHLO hostname");
    public static final Reply MAIL_SYNTAX =
            new Reply(501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]");
    public static final Reply RCPT_SYNTAX =
            new Reply(501, "5.5.4", "Syntax: RCPT TO:<address> [parameters]");
    public static final Reply BDAT_SYNTAX =
            new Reply(501, "5.5.4", "Syntax: BDAT size [LAST], closing connection");
    public static final Reply BDAT_AFTER_FAILURE =
            new Reply(503, "5.5.1", "Previous BDAT failed, send RSET");
    public static final Reply DATA_AFTER_BDAT =
            new Reply(503, "5.5.1", "DATA cannot follow BDAT in one transaction");
    public static final Reply NO_PARAMETERS =
            new Reply(501, "5.5.4", "Syntax error: no parameters allowed");
    public static final Reply BAD_SENDER = new Reply(501, "5.1.7", "Bad sender address syntax");
    public static final Reply BAD_RECIPIENT =
            new Reply(501, "5.1.3", "Bad recipient address syntax");
    public static final Reply UNSUPPORTED_PARAMETER =
            new Reply(555, "5.5.4", "Unsupported MAIL or RCPT parameter");
    public static final Reply LINE_TOO_LONG = new Reply(500, "5.5.2", "Line too long");
    public static final Reply VRFY_DISABLED = new Reply(502, "5.5.1", "VRFY and EXPN are disabled");
    public static final Reply AUTH_DISABLED =
            new Reply(502, "5.5.1", "Authentication is not available here");
    public static final Reply TLS_UNAVAILABLE = new Reply(454, "4.7.0", "TLS not available");
    public static final Reply TLS_ACTIVE = new Reply(503, "5.5.1", "TLS already active");

    // Limits
    public static final Reply SIZE_EXCEEDED =
            new Reply(552, "5.3.4", "Message size exceeds fixed limit");
    public static final Reply HEADER_TOO_BIG =
            new Reply(552, "5.3.4", "Message header exceeds fixed limit");
    public static final Reply DATA_LINE_TOO_LONG =
            new Reply(550, "5.6.0", "Message refused: a line is too long");
    public static final Reply BARE_LINE_ENDING =
            new Reply(
                    550,
                    "5.6.0",
                    "Message refused: bare CR or LF in message; lines must end with CRLF");
    public static final Reply NUL_IN_MESSAGE =
            new Reply(550, "5.6.0", "Message refused: NUL character in message");
    public static final Reply TOO_MANY_HOPS = new Reply(554, "5.4.6", "Too many hops, mail loop?");
    public static final Reply TOO_MANY_RECIPIENTS = new Reply(452, "4.5.3", "Too many recipients");

    /** The node's runtime failed its self-check; the sender retries later, or another MX host. */
    public static final Reply SELF_CHECK_FAILED =
            new Reply(
                    421,
                    "4.3.0",
                    "Service not available: this server failed its self-check, try again later");

    public static final Reply TOO_MANY_CONNECTIONS =
            new Reply(421, "4.7.0", "Too many connections, try again later");
    public static final Reply TOO_MANY_CONNECTIONS_FROM_CLIENT =
            new Reply(421, "4.7.0", "Too many connections from your address, try again later");
    public static final Reply TOO_MANY_CONNECTIONS_FROM_NETWORK =
            new Reply(421, "4.7.0", "Too many connections from your network, try again later");
    public static final Reply TOO_MANY_TRANSACTIONS_FROM_CLIENT =
            new Reply(
                    451, "4.7.0", "Too many open transactions from your address, try again later");
    public static final Reply TOO_MANY_TRANSACTIONS_FROM_NETWORK =
            new Reply(
                    451, "4.7.0", "Too many open transactions from your network, try again later");
    public static final Reply INSUFFICIENT_STORAGE =
            new Reply(451, "4.3.1", "Insufficient system storage, try again later");
    public static final Reply TRANSACTION_TIMEOUT =
            new Reply(421, "4.4.2", "Timeout waiting for the message, closing connection");
    public static final Reply SESSION_LIFETIME =
            new Reply(421, "4.4.2", "Session lasted too long, closing connection");
    public static final Reply TOO_MANY_COMMANDS =
            new Reply(421, "4.7.0", "Too many commands, closing connection");
    public static final Reply TOO_MANY_ERRORS =
            new Reply(421, "4.7.0", "Too many errors, closing connection");
    public static final Reply COMMAND_TIMEOUT =
            new Reply(421, "4.4.2", "Timeout waiting for command, closing connection");
    public static final Reply DATA_TIMEOUT =
            new Reply(421, "4.4.2", "Timeout receiving message data, closing connection");
    public static final Reply SHUTTING_DOWN =
            new Reply(421, "4.3.2", "Service shutting down, closing connection");

    // Filtering
    public static final Reply RELAY_DENIED = new Reply(550, "5.7.1", "Relaying denied");
    public static final Reply CHECK_FAILED =
            new Reply(451, "4.3.0", "Temporary local problem, try again later");
    public static final Reply ACCEPTED = new Reply(250, "2.0.0", "Ok");

    /** The reply for a policy refusal at a stage. */
    public static Reply refusal(Stage stage, Verdict.Reject reject) {
        String fallback =
                switch (stage) {
                    case CONNECT -> "Access denied";
                    case HELO -> "HELO refused";
                    case MAIL -> "Sender refused";
                    case RCPT -> "Recipient refused";
                    case DATA -> "Message refused";
                };
        return switch (reject.reason()) {
            case RELAY_DENIED -> RELAY_DENIED;
            case CHECK_FAILED -> CHECK_FAILED;
            case POLICY, LIMIT, PROTOCOL, NEXT_HOP ->
                    new Reply(
                            stage == Stage.CONNECT ? 554 : 550,
                            "5.7.1",
                            text(reject.text(), fallback));
        };
    }

    /**
     * The reply when a rate limit refuses: try again later, in the form each stage allows. A
     * message larger than a bytes limit's whole capacity can never pass: that is permanent.
     */
    public static Reply rateLimited(Stage stage, boolean neverFits) {
        String text = "Rate limit exceeded, try again later";
        return switch (stage) {
            case CONNECT, HELO -> new Reply(421, "4.7.0", text);
            case MAIL -> new Reply(451, "4.7.1", text);
            case RCPT -> new Reply(450, "4.7.1", text);
            case DATA -> neverFits ? SIZE_EXCEEDED : new Reply(451, "4.7.1", text);
        };
    }

    /** The reply for a policy deferral at a stage. */
    public static Reply deferral(Stage stage, Verdict.Defer defer) {
        if (defer.reason() == Verdict.Reason.CHECK_FAILED) {
            return CHECK_FAILED;
        }
        String fallback = "Temporarily refused, try again later";
        return switch (stage) {
            case CONNECT -> new Reply(421, "4.7.0", text(defer.text(), fallback));
            case HELO, MAIL, RCPT -> new Reply(450, "4.7.1", text(defer.text(), fallback));
            case DATA -> new Reply(451, "4.7.1", text(defer.text(), fallback));
        };
    }

    /** Our answer to MAIL when the next hop did not take it. */
    public static Reply fromNextHopMail(NextHopReply r) {
        return fromNextHop(
                r,
                "Sender address rejected by the destination",
                "Destination temporarily unavailable, try again later");
    }

    /** Our answer to RCPT when the next hop did not take the recipient. */
    public static Reply fromNextHopRcpt(NextHopReply r) {
        return fromNextHop(
                r,
                "Recipient address rejected by the destination",
                "Recipient temporarily unavailable at the destination, try again later");
    }

    /** Our answer at the end of DATA: the next hop's verdict, in our words. */
    public static Reply fromNextHopData(NextHopReply r, String transactionId) {
        if (r.isPositive()) {
            return new Reply(250, "2.0.0", "Ok: delivered as " + transactionId);
        }
        return fromNextHop(
                r,
                "Message refused by the destination",
                "Message temporarily refused by the destination, try again later");
    }

    /**
     * Keeps the next hop's code and enhanced code (the precise reason: 5.1.1 unknown user, 4.2.2
     * mailbox full...) but never its text, which may name internal hosts.
     */
    private static Reply fromNextHop(NextHopReply r, String permanentText, String transientText) {
        if (r.local()) {
            return new Reply(451, r.enhanced().orElse("4.4.1"), transientText);
        }
        if (r.isPermanent()) {
            int code = r.code() >= 550 && r.code() <= 554 ? r.code() : 550;
            return new Reply(
                    code,
                    r.enhanced().filter(e -> e.startsWith("5.")).orElse("5.0.0"),
                    permanentText);
        }
        int code = r.code() >= 450 && r.code() <= 452 ? r.code() : 451;
        if (r.code() == 421) {
            code = 451; // the next hop closing its session must not close ours
        }
        return new Reply(
                code, r.enhanced().filter(e -> e.startsWith("4.")).orElse("4.0.0"), transientText);
    }

    private static String text(Optional<String> custom, String fallback) {
        return custom.map(Replies::sanitize).filter(s -> !s.isBlank()).orElse(fallback);
    }

    /** Policy texts go on the wire: keep them one printable ASCII line. */
    private static String sanitize(String s) {
        StringBuilder out = new StringBuilder(Math.min(s.length(), 200));
        for (int i = 0; i < s.length() && out.length() < 200; i++) {
            char c = s.charAt(i);
            out.append(c >= 32 && c < 127 ? c : ' ');
        }
        return out.toString().trim();
    }
}
