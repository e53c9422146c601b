package dev.bulwark.ops.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.event.Level;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

class LogFormatTest {

    private static final Instant NOON = Instant.parse("2026-01-02T12:00:00.250Z");

    private final ByteArrayOutputStream written = new ByteArrayOutputStream();
    private final PrintStream stream = new PrintStream(written, true, StandardCharsets.UTF_8);

    private Logger logger(String name, LogFormat format) {
        return new Loggers(
                        Level.INFO,
                        Map.of("org.subethamail", Level.WARN),
                        format,
                        Clock.fixed(NOON, ZoneOffset.UTC),
                        () -> stream)
                .getLogger(name);
    }

    private String written() {
        return written.toString(StandardCharsets.UTF_8);
    }

    @Test
    void writesTimeLevelAndShortLoggerNameForPeople() {
        logger("dev.bulwark.ratelimit.RateLimiter", LogFormat.CONSOLE)
                .warn("Redis at {} unreachable; counting locally", "10.0.0.5:6379");

        assertThat(written())
                .isEqualTo(
                        "2026-01-02T12:00:00.250Z [WARN] RateLimiter - Redis at 10.0.0.5:6379"
                                + " unreachable; counting locally\n");
    }

    @Test
    void startsEveryJournalLineWithItsSyslogPriorityAndLeavesTheTimeToTheJournal() {
        Logger log = logger("dev.bulwark.cli.ServeCommand", LogFormat.JOURNAL);
        log.error("cannot serve");
        log.warn("falling back");
        log.info("serving");

        assertThat(written())
                .isEqualTo(
                        "<3>[ERROR] ServeCommand - cannot serve\n"
                                + "<4>[WARN] ServeCommand - falling back\n"
                                + "<6>[INFO] ServeCommand - serving\n");
    }

    @Test
    void givesEveryLineOfAStackTraceInTheJournalTheRecordsPriority() {
        logger("dev.bulwark.ops.Metrics", LogFormat.JOURNAL)
                .warn("record not counted", new IllegalStateException("broken"));

        String[] lines = written().split("\n");
        assertThat(lines[0]).isEqualTo("<4>[WARN] Metrics - record not counted");
        assertThat(lines[1]).isEqualTo("<4>java.lang.IllegalStateException: broken");
        assertThat(lines).hasSizeGreaterThan(2).allSatisfy(l -> assertThat(l).startsWith("<4>"));
    }

    @Test
    void keepsMultiLineMessagesOnePriorityPerLineInTheJournal() {
        assertThat(LogFormat.JOURNAL.lines(3, "one\r\ntwo")).isEqualTo("<3>one\n<3>two\n");
        assertThat(LogFormat.CONSOLE.lines(3, "one\r\ntwo")).isEqualTo("one\ntwo\n");
    }

    @Test
    void mapsLevelsToSyslogPriorities() {
        assertThat(LogFormat.priority(Level.ERROR)).isEqualTo(3);
        assertThat(LogFormat.priority(Level.WARN)).isEqualTo(4);
        assertThat(LogFormat.priority(Level.INFO)).isEqualTo(6);
        assertThat(LogFormat.priority(Level.DEBUG)).isEqualTo(7);
        assertThat(LogFormat.priority(Level.TRACE)).isEqualTo(7);
    }

    @Test
    void usesTheJournalFormatOnlyWhenJournalStreamNamesStandardError() {
        assertThat(LogFormat.detect("0:41237", Optional.of("socket:[41237]")))
                .isEqualTo(LogFormat.JOURNAL);
        // Without JOURNAL_STREAM: a terminal, a file, a pipe.
        assertThat(LogFormat.detect(null, Optional.of("socket:[41237]")))
                .isEqualTo(LogFormat.CONSOLE);
        assertThat(LogFormat.detect(null, Optional.of("/dev/pts/0"))).isEqualTo(LogFormat.CONSOLE);
        // Inherited from a unit, but standard error was redirected elsewhere.
        assertThat(LogFormat.detect("0:41237", Optional.of("pipe:[9999]")))
                .isEqualTo(LogFormat.CONSOLE);
        assertThat(LogFormat.detect("0:41237", Optional.of("socket:[9999]")))
                .isEqualTo(LogFormat.CONSOLE);
        assertThat(LogFormat.detect("0:41237", Optional.empty())).isEqualTo(LogFormat.CONSOLE);
        assertThat(LogFormat.detect("garbage", Optional.of("socket:[41237]")))
                .isEqualTo(LogFormat.CONSOLE);
    }

    @Test
    void appliesTheLongestConfiguredPrefixAndTheDefaultElsewhere() {
        Loggers loggers =
                new Loggers(
                        Level.INFO,
                        Map.of(
                                "org.subethamail",
                                Level.WARN,
                                "org.subethamail.smtp.x",
                                Level.DEBUG),
                        LogFormat.CONSOLE,
                        Clock.systemUTC(),
                        () -> stream);

        assertThat(loggers.threshold("org.subethamail.smtp.Server")).isEqualTo(Level.WARN);
        assertThat(loggers.threshold("org.subethamail.smtp.x.Y")).isEqualTo(Level.DEBUG);
        assertThat(loggers.threshold("org.subethamailer.Z")).isEqualTo(Level.INFO);
        assertThat(loggers.threshold("dev.bulwark.Node")).isEqualTo(Level.INFO);
        Logger quiet = loggers.getLogger("org.subethamail.smtp.Server");
        quiet.info("chatter");
        assertThat(quiet.isInfoEnabled()).isFalse();
        assertThat(written()).isEmpty();
    }

    @Test
    void prefixesEveryLineOfACommandsErrorStreamOnlyForTheJournal() {
        PrintStream journal = JournalStream.errors(stream, LogFormat.JOURNAL);
        journal.println("site.conf:3: error: invalid value");
        journal.print("second\nthird\n");
        assertThat(written())
                .isEqualTo("<3>site.conf:3: error: invalid value\n<3>second\n<3>third\n");

        assertThat(JournalStream.errors(stream, LogFormat.CONSOLE)).isSameAs(stream);
    }

    @Test
    void refusesAnUnknownLevelNamingIt() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Loggers.level("loud", "level"))
                .hasMessage(
                        "invalid log level 'loud' for 'level': expected trace, debug, info, warn"
                                + " or error");
    }

    @Test
    void isTheBindingSlf4jFinds() {
        assertThat(org.slf4j.LoggerFactory.getILoggerFactory()).isInstanceOf(Loggers.class);
    }
}
