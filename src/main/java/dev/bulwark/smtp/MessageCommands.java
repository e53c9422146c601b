package dev.bulwark.smtp;

import dev.bulwark.flow.FlowSession;
import dev.bulwark.flow.Incoming;
import dev.bulwark.flow.Replies;
import dev.bulwark.flow.Reply;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * DATA and BDAT (RFC 3030): the sequence rules, the DATA phase's deadline, and reading the message
 * off the wire into the transaction's {@link Incoming}; the flow then decides and relays. Whatever
 * is wrong with a message, all of it is read before any reply, so nothing the client sent is ever
 * taken for a command.
 */
final class MessageCommands {

    private MessageCommands() {}

    static void data(SmtpSession s, String line) throws IOException {
        if (!CommandSyntax.bare(line, "DATA")) {
            s.reply(Replies.NO_PARAMETERS);
            return;
        }
        FlowSession flow = s.flow;
        Reply refusal = sequence(flow);
        if (refusal != null) {
            s.reply(refusal);
            return;
        }
        if (flow.receiving()) {
            s.reply(Replies.DATA_AFTER_BDAT);
            return;
        }
        s.reply(Replies.START_DATA);
        s.armForContent(s.limits.dataTimeout());
        Incoming incoming = flow.incoming();
        long started = s.now();
        try {
            incoming.read(s.wire.input());
        } catch (SocketTimeoutException e) {
            flow.expire(Replies.DATA_TIMEOUT);
            s.close(Replies.DATA_TIMEOUT);
            return;
        } catch (IOException e) {
            // EOF or reset: the client left in the middle of the message; nothing was relayed.
            flow.end();
            throw e;
        } finally {
            flow.reading(Duration.ofNanos(s.now() - started));
        }
        if (!s.disarm() || s.isClosed()) {
            // The DATA deadline fired as the last bytes arrived: the timer's 421 stands, and the
            // message is not delivered behind it (the client will send it again).
            return;
        }
        s.answer(flow.data());
    }

    /**
     * BDAT: the chunk's octets are always read before any reply, so a refused chunk can never be
     * taken for commands. Non-last chunks are acknowledged; the last one gets the verdict.
     */
    static void bdat(SmtpSession s, String line) throws IOException {
        String[] args = line.trim().split(" +");
        boolean last = args.length == 3 && args[2].equalsIgnoreCase("LAST");
        if (args.length < 2
                || args.length > 3
                || (args.length == 3 && !last)
                || args[1].length() > 18
                || !args[1].chars().allMatch(Character::isDigit)) {
            // Without a size we cannot know where the chunk ends: the session cannot be kept in
            // step.
            s.close(Replies.BDAT_SYNTAX);
            return;
        }
        long size = Long.parseLong(args[1]);
        InputStream in = s.wire.input();
        FlowSession flow = s.flow;
        Reply refusal = sequence(flow);
        if (refusal == null && s.chunking(flow.transactionId().orElseThrow()).failed) {
            refusal = Replies.BDAT_AFTER_FAILURE;
        }
        if (refusal != null) {
            s.armForContent(s.limits.dataTimeout());
            in.skipNBytes(size);
            if (!s.disarm()) {
                return;
            }
            if (last) {
                flow.reset();
            }
            s.reply(refusal);
            return;
        }
        SmtpSession.Chunking chunking = s.chunking(flow.transactionId().orElseThrow());
        long left = chunking.deadline - s.now();
        if (left <= 0) {
            flow.expire(Replies.DATA_TIMEOUT);
            s.close(Replies.DATA_TIMEOUT);
            return;
        }
        s.armForContent(Duration.ofNanos(left));
        Incoming incoming = flow.incoming();
        long started = s.now();
        try {
            incoming.chunk(in, size);
        } catch (IOException e) {
            flow.end();
            throw e;
        } finally {
            flow.reading(Duration.ofNanos(s.now() - started));
        }
        if (!s.disarm() || s.isClosed()) {
            return;
        }
        if (!last) {
            if (incoming.tooBig()) {
                chunking.failed = true;
                s.reply(Replies.SIZE_EXCEEDED);
                return;
            }
            s.reply(Replies.chunkReceived(size));
            return;
        }
        incoming.last();
        s.answer(flow.data());
    }

    /** Why a message cannot be sent now: no transaction, no recipient, none accepted. */
    private static Reply sequence(FlowSession flow) {
        if (!flow.transactionOpen()) {
            return Replies.NEED_MAIL;
        }
        if (flow.recipientsGiven() == 0) {
            return Replies.NEED_RCPT;
        }
        if (flow.recipientsAccepted() == 0) {
            return Replies.NO_VALID_RECIPIENTS;
        }
        return null;
    }
}
