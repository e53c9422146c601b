package dev.bulwark.smtp;

import dev.bulwark.envelope.PathSyntaxException;
import dev.bulwark.envelope.Paths;
import dev.bulwark.envelope.ReversePath;
import dev.bulwark.flow.Answer;
import dev.bulwark.flow.MailParameters;
import dev.bulwark.flow.Replies;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * EHLO/HELO, MAIL and RCPT: sequence and syntax here, the decision in the flow. The order of checks
 * in each command is: sequence, syntax, then the flow (limits, relay domains, policy, next hop).
 */
final class EnvelopeCommands {

    private EnvelopeCommands() {}

    static void greet(SmtpSession s, String line, boolean extended) throws IOException {
        Answer a = s.flow.helo(CommandSyntax.argument(line, 4), extended);
        if (a.refused() || !extended) {
            s.answer(a);
            return;
        }
        List<String> lines = new ArrayList<>();
        lines.add(a.reply().text());
        lines.add("PIPELINING");
        lines.add("SIZE " + s.limits.maxMessageSize());
        lines.add("8BITMIME");
        lines.add("ENHANCEDSTATUSCODES");
        if (s.service.settings().tls().isPresent() && !s.wire.isTls()) {
            lines.add("STARTTLS");
        }
        lines.add("SMTPUTF8");
        lines.add("CHUNKING");
        s.replyLines(250, lines);
    }

    static void mail(SmtpSession s, String line) throws IOException {
        if (!s.flow.greeted()) {
            s.reply(Replies.NEED_HELO);
            return;
        }
        if (s.flow.transactionOpen()) {
            s.reply(Replies.NESTED_MAIL);
            return;
        }
        if (!line.regionMatches(true, 0, "MAIL FROM:", 0, 10)) {
            s.reply(Replies.MAIL_SYNTAX);
            return;
        }
        String[] pathAndParams = CommandSyntax.splitPath(line.substring(10));
        if (pathAndParams == null) {
            s.reply(Replies.MAIL_SYNTAX);
            return;
        }
        ReversePath sender;
        try {
            sender = Paths.parseReversePath(pathAndParams[0]);
        } catch (PathSyntaxException e) {
            s.reply(Replies.BAD_SENDER);
            return;
        }
        OptionalLong size = OptionalLong.empty();
        boolean eightBit = false;
        boolean utf8 = false;
        for (String param : CommandSyntax.params(pathAndParams[1])) {
            int eq = param.indexOf('=');
            String key = eq < 0 ? param : param.substring(0, eq);
            String value = eq < 0 ? "" : param.substring(eq + 1);
            switch (key.toUpperCase(Locale.ROOT)) {
                case "SIZE" -> {
                    if (value.isEmpty()
                            || value.length() > 18
                            || !value.chars().allMatch(Character::isDigit)) {
                        s.reply(Replies.MAIL_SYNTAX);
                        return;
                    }
                    size = OptionalLong.of(Long.parseLong(value));
                }
                case "BODY" -> {
                    if (value.equalsIgnoreCase("8BITMIME")) {
                        eightBit = true;
                    } else if (!value.equalsIgnoreCase("7BIT")) {
                        s.reply(Replies.UNSUPPORTED_PARAMETER);
                        return;
                    }
                }
                case "SMTPUTF8" -> {
                    if (!value.isEmpty()) {
                        s.reply(Replies.MAIL_SYNTAX);
                        return;
                    }
                    utf8 = true;
                }
                default -> {
                    s.reply(Replies.UNSUPPORTED_PARAMETER);
                    return;
                }
            }
        }
        s.answer(s.flow.mail(sender, new MailParameters(size, eightBit, utf8)));
    }

    /**
     * RCPT: the path goes to the flow as the client wrote it, since an unparseable path naming a
     * foreign domain is a relay attempt. RCPT parameters are not supported: refused before the path
     * is looked at.
     */
    static void rcpt(SmtpSession s, String line) throws IOException {
        if (!s.flow.transactionOpen()) {
            s.reply(Replies.NEED_MAIL);
            return;
        }
        if (!line.regionMatches(true, 0, "RCPT TO:", 0, 8)) {
            s.reply(Replies.RCPT_SYNTAX);
            return;
        }
        String[] pathAndParams = CommandSyntax.splitPath(line.substring(8));
        if (pathAndParams == null) {
            s.reply(Replies.RCPT_SYNTAX);
            return;
        }
        if (!CommandSyntax.params(pathAndParams[1]).isEmpty()) {
            s.reply(Replies.UNSUPPORTED_PARAMETER);
            return;
        }
        s.answer(s.flow.rcpt(pathAndParams[0]));
    }
}
