package dev.bulwark.smtp;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subethamail.smtp.internal.server.Command;
import org.subethamail.smtp.internal.server.HelpMessage;
import org.subethamail.smtp.server.Session;

import java.io.IOException;
import java.util.Map;

/**
 * Adapts one of our command methods to the server library: finds the session's conversation,
 * enforces the command-count and command-line limits, stops the command deadline while the command
 * runs and re-arms it afterwards, and turns an unexpected exception into a temporary failure.
 */
final class Verb implements Command {

    /** A command method in {@link Commands}. */
    @FunctionalInterface
    interface Handler {
        void handle(Conversation c, String line) throws IOException;
    }

    private static final Logger log = LoggerFactory.getLogger(Verb.class);

    private final String name;
    private final Handler handler;
    private final Map<Session, Conversation> conversations;

    Verb(String name, Handler handler, Map<Session, Conversation> conversations) {
        this.name = name;
        this.handler = handler;
        this.conversations = conversations;
    }

    @Override
    public void execute(String line, Session session) throws IOException {
        Conversation c = conversations.get(session);
        if (c == null) {
            session.sendResponse(Replies.CHECK_FAILED.line());
            session.quit();
            return;
        }
        c.disarm();
        if (++c.commands > c.context.limits().maxCommands()) {
            c.close(Replies.TOO_MANY_COMMANDS);
            return;
        }
        if (Commands.utf8Length(line) > c.context.limits().maxCommandLine()) {
            c.reply(Replies.LINE_TOO_LONG);
        } else {
            try {
                handler.handle(c, line);
            } catch (RuntimeException e) {
                log.error("{}: {} failed", c.logTag(), name, e);
                Commands.abandon(c);
                c.reply(Replies.CHECK_FAILED);
            }
        }
        if (!c.isClosed()) {
            c.arm(c.context.limits().commandTimeout(), Replies.COMMAND_TIMEOUT);
        }
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
