package dev.bulwark.policy;

import dev.bulwark.check.Limits;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;

/**
 * The check pass for {@code limits:}: each limit in its range, header-bytes within message-size,
 * connections-per-client within connections. An invalid value is reported and its default used, so
 * that the checks that depend on it (a bytes rate limit against message-size) still run.
 */
final class LimitsChecker {

    private final Problems problems;

    private LimitsChecker(Problems problems) {
        this.problems = problems;
    }

    /** The limits, with the default in place of each value that is not valid. */
    static Limits check(LimitsDecl l, Problems problems) {
        return new LimitsChecker(problems).limits(l);
    }

    /** A whole number in a range, or the fallback (and an error) when it is not. */
    static long whole(
            Problems problems,
            Optional<Located<BigDecimal>> value,
            long fallback,
            long min,
            long max,
            String what) {
        return new LimitsChecker(problems).whole(value, fallback, min, max, what);
    }

    private Limits limits(LimitsDecl l) {
        Limits d = Limits.defaults();
        long messageSize =
                size(l.messageSize(), "message-size", d.maxMessageSize(), 1024, 1L << 40);
        int recipients = (int) limit(l.recipients(), "recipients", d.maxRecipients(), 1, 100_000);
        int commandLine =
                (int)
                        limit(
                                l.commandLine(),
                                "command-line",
                                d.maxCommandLine(),
                                512,
                                Limits.COMMAND_LINE_CAP);
        int dataLine =
                (int) limit(l.dataLine(), "data-line", d.maxDataLine(), 78, Limits.MAX_DATA_LINE);
        int headerBytes =
                (int)
                        size(
                                l.headerBytes(),
                                "header-bytes",
                                d.maxHeaderBytes(),
                                1024,
                                64L * 1024 * 1024);
        Duration commandTimeout =
                duration(
                        l.commandTimeout(),
                        "command-timeout",
                        d.commandTimeout(),
                        Duration.ofSeconds(1),
                        Duration.ofHours(1));
        Duration dataTimeout =
                duration(
                        l.dataTimeout(),
                        "data-timeout",
                        d.dataTimeout(),
                        Duration.ofSeconds(1),
                        Duration.ofHours(2));
        int connections =
                (int) limit(l.connections(), "connections", d.maxConnections(), 1, 1_000_000);
        int perClient =
                (int)
                        limit(
                                l.connectionsPerClient(),
                                "connections-per-client",
                                d.maxConnectionsPerClient(),
                                1,
                                1_000_000);
        int commands = (int) limit(l.commands(), "commands", d.maxCommands(), 10, 10_000_000);
        int errors = (int) limit(l.errors(), "errors", d.maxErrors(), 1, 10_000);
        l.headerBytes()
                .filter(v -> headerBytes > messageSize)
                .ifPresent(
                        v ->
                                problems.error(
                                        v.pos(),
                                        "header-bytes "
                                                + Values.size(headerBytes)
                                                + " is larger than message-size "
                                                + Values.size(messageSize)));
        l.connectionsPerClient()
                .filter(v -> perClient > connections)
                .ifPresent(
                        v ->
                                problems.error(
                                        v.pos(),
                                        "connections-per-client "
                                                + perClient
                                                + " is larger than connections "
                                                + connections));
        try {
            return new Limits(
                    messageSize,
                    recipients,
                    commandLine,
                    dataLine,
                    headerBytes,
                    commandTimeout,
                    dataTimeout,
                    connections,
                    perClient,
                    commands,
                    errors);
        } catch (IllegalArgumentException e) {
            problems.error(l.pos(), e.getMessage());
            return d;
        }
    }

    private long limit(
            Optional<Located<BigDecimal>> v, String key, long fallback, long min, long max) {
        return whole(v, fallback, min, max, key + " limit");
    }

    private long whole(
            Optional<Located<BigDecimal>> value, long fallback, long min, long max, String what) {
        if (value.isEmpty()) {
            return fallback;
        }
        BigDecimal v = value.get().value();
        Pos pos = value.get().pos();
        if (v.stripTrailingZeros().scale() > 0) {
            problems.error(pos, v + " is not a valid " + what + ": it must be a whole number");
            return fallback;
        }
        if (v.compareTo(BigDecimal.valueOf(min)) < 0 || v.compareTo(BigDecimal.valueOf(max)) > 0) {
            problems.error(
                    pos,
                    v + " is not a valid " + what + ": it must be between " + min + " and " + max);
            return fallback;
        }
        return v.longValueExact();
    }

    private long size(
            Optional<Located<Long>> value, String key, long fallback, long min, long max) {
        if (value.isEmpty()) {
            return fallback;
        }
        long v = value.get().value();
        if (v < min || v > max) {
            problems.error(
                    value.get().pos(),
                    value.get().text()
                            + " is not a valid "
                            + key
                            + " limit: it must be between "
                            + Values.size(min)
                            + " and "
                            + Values.size(max));
            return fallback;
        }
        return v;
    }

    private Duration duration(
            Optional<Located<Duration>> value,
            String key,
            Duration fallback,
            Duration min,
            Duration max) {
        if (value.isEmpty()) {
            return fallback;
        }
        Duration d = value.get().value();
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            problems.error(
                    value.get().pos(),
                    value.get().text()
                            + " is not a valid "
                            + key
                            + " limit: it must be between "
                            + Values.human(min)
                            + " and "
                            + Values.human(max));
            return fallback;
        }
        return d;
    }
}
