package dev.bulwark.relay;

import dev.bulwark.flow.NextHopReply;

import java.io.IOException;

/** The next hop answered, but refused to start a session (banner, EHLO or required STARTTLS). */
final class NextHopException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient NextHopReply reply;

    NextHopException(String stage, NextHopReply reply) {
        super("next hop refused " + stage + ": " + reply.summary());
        this.reply = reply;
    }

    NextHopReply reply() {
        return reply;
    }
}
