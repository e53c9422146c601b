package dev.bulwark.check;

import java.time.Duration;
import java.util.Objects;

/**
 * Protocol limits, set by the policy and enforced by the transaction flow and the SMTP session.
 *
 * @param maxMessageSize largest message in octets, advertised with SIZE and enforced while reading
 * @param maxRecipients recipients per transaction
 * @param maxCommandLine longest command line in octets, CRLF excluded (at most 997: the server
 *     library's own cap)
 * @param maxDataLine longest message line in octets, CRLF excluded (longer ones are refused)
 * @param maxHeaderBytes largest header block in octets
 * @param commandTimeout how long a client may take to send one complete command
 * @param dataTimeout how long the whole DATA phase may take, from 354 to the final dot
 * @param maxConnections concurrent connections on the node
 * @param maxConnectionsPerClient concurrent connections from one client address
 * @param maxCommands commands per session
 * @param maxErrors error replies per session before the session is closed
 */
public record Limits(
        long maxMessageSize,
        int maxRecipients,
        int maxCommandLine,
        int maxDataLine,
        int maxHeaderBytes,
        Duration commandTimeout,
        Duration dataTimeout,
        int maxConnections,
        int maxConnectionsPerClient,
        int maxCommands,
        int maxErrors) {

    /**
     * The longest message line accepted by default, and the most a policy may allow. RFC 5322's 998
     * octets is a rule for writers that real mail breaks (0.4 % of a public corpus, ham included,
     * has longer lines, up to 48,677 octets); Postfix accepts such lines, and so do we, relaying
     * them untouched. The bound stays so that one line cannot be the whole message: the reader
     * never holds a line in memory, and the parsers see windows into the message.
     */
    public static final int MAX_DATA_LINE = 1_000_000;

    /** The server library cannot read a command line longer than 997 octets plus CRLF. */
    public static final int COMMAND_LINE_CAP = 997;

    public Limits {
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(dataTimeout, "dataTimeout");
        positive(maxMessageSize, "maxMessageSize");
        positive(maxRecipients, "maxRecipients");
        positive(maxDataLine, "maxDataLine");
        positive(maxHeaderBytes, "maxHeaderBytes");
        positive(maxConnections, "maxConnections");
        positive(maxConnectionsPerClient, "maxConnectionsPerClient");
        positive(maxCommands, "maxCommands");
        positive(maxErrors, "maxErrors");
        if (maxCommandLine < 512 || maxCommandLine > COMMAND_LINE_CAP) {
            throw new IllegalArgumentException(
                    maxCommandLine
                            + " is not a valid maxCommandLine: it must be between 512 and "
                            + COMMAND_LINE_CAP);
        }
        if (commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new IllegalArgumentException(
                    commandTimeout + " is not a valid commandTimeout: it must be positive");
        }
        if (dataTimeout.isNegative() || dataTimeout.isZero()) {
            throw new IllegalArgumentException(
                    dataTimeout + " is not a valid dataTimeout: it must be positive");
        }
    }

    private static void positive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(
                    value + " is not a valid " + name + ": it must be positive");
        }
    }

    /** Defaults close to Postfix's and to RFC 5321's minimums. */
    public static Limits defaults() {
        return new Limits(
                25L * 1024 * 1024,
                100,
                512,
                MAX_DATA_LINE,
                100 * 1024,
                Duration.ofMinutes(5),
                Duration.ofMinutes(10),
                1000,
                50,
                10_000,
                20);
    }

    public Limits withMaxMessageSize(long value) {
        return new Limits(
                value,
                maxRecipients,
                maxCommandLine,
                maxDataLine,
                maxHeaderBytes,
                commandTimeout,
                dataTimeout,
                maxConnections,
                maxConnectionsPerClient,
                maxCommands,
                maxErrors);
    }

    public Limits withMaxRecipients(int value) {
        return new Limits(
                maxMessageSize,
                value,
                maxCommandLine,
                maxDataLine,
                maxHeaderBytes,
                commandTimeout,
                dataTimeout,
                maxConnections,
                maxConnectionsPerClient,
                maxCommands,
                maxErrors);
    }

    public Limits withTimeouts(Duration command, Duration data) {
        return new Limits(
                maxMessageSize,
                maxRecipients,
                maxCommandLine,
                maxDataLine,
                maxHeaderBytes,
                command,
                data,
                maxConnections,
                maxConnectionsPerClient,
                maxCommands,
                maxErrors);
    }

    public Limits withConnections(int total, int perClient) {
        return new Limits(
                maxMessageSize,
                maxRecipients,
                maxCommandLine,
                maxDataLine,
                maxHeaderBytes,
                commandTimeout,
                dataTimeout,
                total,
                perClient,
                maxCommands,
                maxErrors);
    }

    public Limits withLines(int commandLine, int dataLine, int headerBytes) {
        return new Limits(
                maxMessageSize,
                maxRecipients,
                commandLine,
                dataLine,
                headerBytes,
                commandTimeout,
                dataTimeout,
                maxConnections,
                maxConnectionsPerClient,
                maxCommands,
                maxErrors);
    }

    public Limits withSessionCaps(int commands, int errors) {
        return new Limits(
                maxMessageSize,
                maxRecipients,
                maxCommandLine,
                maxDataLine,
                maxHeaderBytes,
                commandTimeout,
                dataTimeout,
                maxConnections,
                maxConnectionsPerClient,
                commands,
                errors);
    }
}
