package dev.bulwark.policy;

import dev.bulwark.check.Limits;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code limits:} section: each limit as written, or empty for its default ({@link
 * Limits#defaults()}). Whole-number limits are kept as written until checked.
 */
record LimitsDecl(
        Pos pos,
        Optional<Located<Long>> messageSize,
        Optional<Located<BigDecimal>> recipients,
        Optional<Located<BigDecimal>> commandLine,
        Optional<Located<BigDecimal>> dataLine,
        Optional<Located<Long>> headerBytes,
        Optional<Located<Duration>> commandTimeout,
        Optional<Located<Duration>> dataTimeout,
        Optional<Located<BigDecimal>> connections,
        Optional<Located<BigDecimal>> connectionsPerClient,
        Optional<Located<BigDecimal>> commands,
        Optional<Located<BigDecimal>> errors)
        implements Declaration {

    /** No {@code limits:} section: every default. */
    static LimitsDecl none(Pos pos) {
        Optional<Located<BigDecimal>> n = Optional.empty();
        return new LimitsDecl(
                pos,
                Optional.empty(),
                n,
                n,
                n,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                n,
                n,
                n,
                n);
    }

    /** The limits, defaults made explicit (for a checked declaration). */
    Limits limits() {
        Limits d = Limits.defaults();
        return new Limits(
                messageSize.map(Located::value).orElse(d.maxMessageSize()),
                whole(recipients, d.maxRecipients()),
                whole(commandLine, d.maxCommandLine()),
                whole(dataLine, d.maxDataLine()),
                headerBytes.map(l -> l.value().intValue()).orElse(d.maxHeaderBytes()),
                commandTimeout.map(Located::value).orElse(d.commandTimeout()),
                dataTimeout.map(Located::value).orElse(d.dataTimeout()),
                whole(connections, d.maxConnections()),
                whole(connectionsPerClient, d.maxConnectionsPerClient()),
                whole(commands, d.maxCommands()),
                whole(errors, d.maxErrors()));
    }

    private static int whole(Optional<Located<BigDecimal>> v, int fallback) {
        return v.map(l -> l.value().intValueExact()).orElse(fallback);
    }

    /** Every limit, defaults explicit: sizes in bytes, durations in seconds. */
    @Override
    public Map<String, Object> canonical() {
        Limits l = limits();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("message-size", l.maxMessageSize());
        c.put("recipients", (long) l.maxRecipients());
        c.put("command-line", (long) l.maxCommandLine());
        c.put("data-line", (long) l.maxDataLine());
        c.put("header-bytes", (long) l.maxHeaderBytes());
        c.put("command-timeout", Values.duration(l.commandTimeout()));
        c.put("data-timeout", Values.duration(l.dataTimeout()));
        c.put("connections", (long) l.maxConnections());
        c.put("connections-per-client", (long) l.maxConnectionsPerClient());
        c.put("commands", (long) l.maxCommands());
        c.put("errors", (long) l.maxErrors());
        return c;
    }
}
