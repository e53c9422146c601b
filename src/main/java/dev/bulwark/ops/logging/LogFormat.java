package dev.bulwark.ops.logging;

import org.slf4j.event.Level;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * How a log line looks on standard error. For a person at a terminal (or a file): {@code
 * 2026-01-01T12:00:00.000Z [WARN] RateLimiter - message}. For the systemd journal: every line,
 * continuation lines of a stack trace included, starts with its syslog priority as {@code <N>}
 * (sd-daemon(3)), so that {@code journalctl -p err} finds errors; the journal keeps its own time
 * stamp, so the line carries none.
 *
 * @param journal whether standard error is a stream into the journal
 */
public record LogFormat(boolean journal) {

    /** Human-readable format. */
    public static final LogFormat CONSOLE = new LogFormat(false);

    /** Priority-prefixed lines for the journal. */
    public static final LogFormat JOURNAL = new LogFormat(true);

    /** syslog priority err (sd-daemon's SD_ERR). */
    public static final int ERR = 3;

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);

    /**
     * The format for this process's standard error: {@link #JOURNAL} when systemd connected it to
     * the journal (it then sets {@code JOURNAL_STREAM} to the stream's device and inode), otherwise
     * {@link #CONSOLE}. A child started with the variable inherited but its standard error
     * redirected elsewhere is told apart by the inode.
     */
    public static LogFormat forStandardError() {
        return detect(System.getenv("JOURNAL_STREAM"), standardErrorTarget());
    }

    /**
     * Decides from {@code JOURNAL_STREAM} ({@code DEVICE:INODE}, or null) and where file descriptor
     * 2 points ({@code /proc/self/fd/2}'s link text, such as {@code socket:[12345]}).
     */
    static LogFormat detect(String journalStream, Optional<String> standardError) {
        if (journalStream == null || standardError.isEmpty()) {
            return CONSOLE;
        }
        int colon = journalStream.indexOf(':');
        if (colon < 0 || colon == journalStream.length() - 1) {
            return CONSOLE;
        }
        String inode = journalStream.substring(colon + 1);
        return standardError.get().equals("socket:[" + inode + "]") ? JOURNAL : CONSOLE;
    }

    private static Optional<String> standardErrorTarget() {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** The syslog priority of a level: error 3, warning 4, info 6, debug and trace 7. */
    public static int priority(Level level) {
        return switch (level) {
            case ERROR -> 3;
            case WARN -> 4;
            case INFO -> 6;
            case DEBUG, TRACE -> 7;
        };
    }

    /**
     * One log record as text ending in a line feed: the message, then the throwable's stack trace
     * if there is one.
     *
     * @param logger the logger's name; only its last segment is shown
     */
    public String format(
            Instant time, Level level, String logger, String message, Throwable throwable) {
        StringBuilder text = new StringBuilder(128);
        if (!journal) {
            text.append(TIME.format(time)).append(' ');
        }
        text.append('[')
                .append(level)
                .append("] ")
                .append(logger, logger.lastIndexOf('.') + 1, logger.length())
                .append(" - ")
                .append(message);
        if (throwable != null) {
            StringWriter trace = new StringWriter();
            throwable.printStackTrace(new PrintWriter(trace));
            text.append('\n').append(trace.toString().stripTrailing());
        }
        return lines(priority(level), text.toString());
    }

    /**
     * {@code text} as lines ending in a line feed; for the journal each line starts with {@code
     * <priority>}, so that a multi-line message keeps its priority on every line.
     */
    public String lines(int priority, String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        String prefix = "<" + priority + ">";
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            String line = text.substring(start, end);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (journal) {
                out.append(prefix);
            }
            out.append(line).append('\n');
            start = end + 1;
        }
        return out.toString();
    }
}
