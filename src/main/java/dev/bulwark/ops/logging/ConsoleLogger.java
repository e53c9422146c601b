package dev.bulwark.ops.logging;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

import java.io.PrintStream;
import java.io.Serial;
import java.time.Clock;
import java.util.function.Supplier;

/**
 * A logger that writes each record as one {@link LogFormat} text to standard error, enabled from
 * {@code threshold} up. Records are written with one call, so lines of concurrent records do not
 * interleave.
 */
final class ConsoleLogger extends LegacyAbstractLogger {

    @Serial private static final long serialVersionUID = 1L;

    private final transient Level threshold;
    private final transient LogFormat format;
    private final transient Clock clock;
    private final transient Supplier<PrintStream> out;

    ConsoleLogger(
            String name,
            Level threshold,
            LogFormat format,
            Clock clock,
            Supplier<PrintStream> out) {
        this.name = name;
        this.threshold = threshold;
        this.format = format;
        this.clock = clock;
        this.out = out;
    }

    private boolean enabled(Level level) {
        return level.toInt() >= threshold.toInt();
    }

    @Override
    public boolean isTraceEnabled() {
        return enabled(Level.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
        return enabled(Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return enabled(Level.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
        return enabled(Level.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
        return enabled(Level.ERROR);
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(
            Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
        String message = MessageFormatter.basicArrayFormat(pattern, arguments);
        out.get().print(format.format(clock.instant(), level, name, message, throwable));
    }
}
