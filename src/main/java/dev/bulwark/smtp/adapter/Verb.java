package dev.bulwark.smtp.adapter;

import dev.bulwark.flow.Replies;
import dev.bulwark.smtp.SmtpSession;

import org.subethamail.smtp.internal.server.Command;
import org.subethamail.smtp.internal.server.HelpMessage;
import org.subethamail.smtp.server.Session;

import java.io.IOException;
import java.util.Map;

/** One command verb registered with the server library; the session executes the line. */
final class Verb implements Command {

    /** Every verb Bulwark answers; the library answers any other with 500. */
    static final String[] NAMES = {
        "EHLO",
        "HELO",
        "MAIL",
        "RCPT",
        "DATA",
        "RSET",
        "NOOP",
        "QUIT",
        "HELP",
        "VRFY",
        "EXPN",
        "AUTH",
        "BDAT",
        "STARTTLS"
    };

    private final String name;
    private final Map<Session, SmtpSession> sessions;

    Verb(String name, Map<Session, SmtpSession> sessions) {
        this.name = name;
        this.sessions = sessions;
    }

    @Override
    public void execute(String line, Session session) throws IOException {
        SmtpSession s = sessions.get(session);
        if (s == null) {
            session.sendResponse(Replies.CHECK_FAILED.line());
            session.quit();
            return;
        }
        s.command(line);
    }

    @Override
    public HelpMessage getHelp() {
        return new HelpMessage(name, "");
    }

    @Override
    public String getName() {
        return name;
    }
}
