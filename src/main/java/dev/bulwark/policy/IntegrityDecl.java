package dev.bulwark.policy;

import dev.bulwark.check.IntegritySettings;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code integrity:} section: how often the node re-verifies its runtime while serving and what
 * a mismatch does; each setting as written, or empty for its default ({@link
 * IntegritySettings#DEFAULTS}).
 */
record IntegrityDecl(
        Pos pos, Optional<Located<Duration>> interval, Optional<Located<String>> onMismatch)
        implements Declaration {

    /** No {@code integrity:} section: every default. */
    static IntegrityDecl none(Pos pos) {
        return new IntegrityDecl(pos, Optional.empty(), Optional.empty());
    }

    /** The settings, defaults made explicit (for a checked declaration). */
    IntegritySettings settings() {
        IntegritySettings d = IntegritySettings.DEFAULTS;
        return new IntegritySettings(
                interval.map(Located::value).orElse(d.interval()),
                onMismatch.map(v -> onMismatch(v.value()).orElseThrow()).orElse(d.onMismatch()));
    }

    static Optional<IntegritySettings.OnMismatch> onMismatch(String key) {
        for (IntegritySettings.OnMismatch m : IntegritySettings.OnMismatch.values()) {
            if (m.key().equals(key)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** Both settings, defaults explicit: the interval in seconds. */
    @Override
    public Map<String, Object> canonical() {
        IntegritySettings s = settings();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("interval", Values.duration(s.interval()));
        c.put("on-mismatch", s.onMismatch().key());
        return c;
    }
}
