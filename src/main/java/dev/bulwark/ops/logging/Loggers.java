package dev.bulwark.ops.logging;

import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.event.Level;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * Hands out {@link ConsoleLogger}s. A logger's threshold is that of the longest configured name
 * prefix, else the default: {@code bulwark-logging.properties} on the class path ({@code level =
 * info}, {@code level.<name prefix> = warn}), and the system property {@code bulwark.log.level}
 * overrides the default.
 */
final class Loggers implements ILoggerFactory {

    static final String CONFIGURATION = "bulwark-logging.properties";

    private final Level defaultLevel;
    private final Map<String, Level> levels;
    private final LogFormat format;
    private final Clock clock;
    private final Supplier<PrintStream> out;
    private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();

    Loggers(
            Level defaultLevel,
            Map<String, Level> levels,
            LogFormat format,
            Clock clock,
            Supplier<PrintStream> out) {
        this.defaultLevel = defaultLevel;
        this.levels = new TreeMap<>(levels);
        this.format = format;
        this.clock = clock;
        this.out = out;
    }

    /** Configured from the class path and system properties; writes to {@code System.err}. */
    static Loggers configured() {
        Properties p = new Properties();
        try (InputStream in = Loggers.class.getClassLoader().getResourceAsStream(CONFIGURATION)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + CONFIGURATION, e);
        }
        Map<String, Level> levels = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("level.")) {
                levels.put(key.substring(6), level(p.getProperty(key), key));
            }
        }
        String fallback = System.getProperty("bulwark.log.level", p.getProperty("level", "info"));
        return new Loggers(
                level(fallback, "level"),
                levels,
                LogFormat.forStandardError(),
                Clock.systemUTC(),
                () -> System.err);
    }

    static Level level(String value, String key) {
        try {
            return Level.valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "invalid log level '"
                            + value
                            + "' for '"
                            + key
                            + "': expected trace, debug, info, warn or error",
                    e);
        }
    }

    Level threshold(String name) {
        Level found = defaultLevel;
        int longest = -1;
        for (Map.Entry<String, Level> e : levels.entrySet()) {
            String prefix = e.getKey();
            boolean matches =
                    name.equals(prefix)
                            || name.startsWith(prefix)
                                    && name.length() > prefix.length()
                                    && name.charAt(prefix.length()) == '.';
            if (matches && prefix.length() > longest) {
                longest = prefix.length();
                found = e.getValue();
            }
        }
        return found;
    }

    @Override
    public Logger getLogger(String name) {
        return loggers.computeIfAbsent(
                name, n -> new ConsoleLogger(n, threshold(n), format, clock, out));
    }
}
