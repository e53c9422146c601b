package dev.bulwark.policy;

import org.snakeyaml.engine.v2.nodes.Node;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Optional;

/**
 * Sizes and durations as the policy writes them: {@code 25MiB}, {@code 100KB}, {@code 30s}, {@code
 * 1h}.
 */
final class Values {
    private Values() {}

    /**
     * Bytes, from a plain integer or a number with KB, MB, GB (powers of 1000) or KiB, MiB, GiB
     * (1024).
     */
    static Optional<Long> size(String text) {
        String s = text.trim();
        int i = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 15) {
            return Optional.empty();
        }
        long n = Long.parseLong(s.substring(0, i));
        long unit =
                switch (s.substring(i).trim()) {
                    case "", "B" -> 1L;
                    case "KB" -> 1000L;
                    case "MB" -> 1000L * 1000;
                    case "GB" -> 1000L * 1000 * 1000;
                    case "KiB" -> 1024L;
                    case "MiB" -> 1024L * 1024;
                    case "GiB" -> 1024L * 1024 * 1024;
                    default -> -1L;
                };
        if (unit < 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(Math.multiplyExact(n, unit));
        } catch (ArithmeticException e) {
            return Optional.empty();
        }
    }

    /** A duration with a unit: ms, s, m, h or d. */
    static Optional<Duration> duration(String text) {
        String s = text.trim();
        int i = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 12) {
            return Optional.empty();
        }
        long n = Long.parseLong(s.substring(0, i));
        return switch (s.substring(i).trim()) {
            case "ms" -> Optional.of(Duration.ofMillis(n));
            case "s" -> Optional.of(Duration.ofSeconds(n));
            case "m" -> Optional.of(Duration.ofMinutes(n));
            case "h" -> Optional.of(Duration.ofHours(n));
            case "d" -> Optional.of(Duration.ofDays(n));
            default -> Optional.empty();
        };
    }

    /** The canonical text of a duration: whole seconds as {@code Ns}, else {@code Nms}. */
    static String duration(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** Reads a size ({@link #size(String)}), reporting a value that is not one. */
    static Optional<Located<Long>> readSize(Node n, String what, Problems problems) {
        if (!Yaml.isScalar(n)) {
            problems.error(
                    Yaml.pos(n), what + " must be a size such as 25MiB, not " + Yaml.describe(n));
            return Optional.empty();
        }
        Optional<Long> v = size(Yaml.scalar(n));
        if (v.isEmpty()) {
            problems.error(
                    Yaml.pos(n),
                    "'"
                            + Yaml.scalar(n)
                            + "' is not a size: write bytes, or a number with KB, MB, GB,"
                            + " KiB, MiB or GiB, such as 25MiB");
        }
        return v.map(b -> new Located<>(b, Yaml.scalar(n), Yaml.pos(n)));
    }

    /** Reads a duration ({@link #duration(String)}), reporting a value that is not one. */
    static Optional<Located<Duration>> readDuration(Node n, String what, Problems problems) {
        if (!Yaml.isScalar(n)) {
            problems.error(
                    Yaml.pos(n), what + " must be a duration such as 30s, not " + Yaml.describe(n));
            return Optional.empty();
        }
        Optional<Duration> d = duration(Yaml.scalar(n));
        if (d.isEmpty()) {
            problems.error(
                    Yaml.pos(n),
                    "'"
                            + Yaml.scalar(n)
                            + "' is not a duration: write a number with ms, s, m, h or d,"
                            + " such as 30s");
        }
        return d.map(v -> new Located<>(v, Yaml.scalar(n), Yaml.pos(n)));
    }

    /** Reads a number, reporting a value that is not one. */
    static Optional<Located<BigDecimal>> readNumber(Node n, String what, Problems problems) {
        return Yaml.number(n, what, problems)
                .map(v -> new Located<>(v, Yaml.scalar(n), Yaml.pos(n)));
    }

    /** Reads a non-empty text, reporting a value that is not one. */
    static Optional<Located<String>> readString(Node n, String what, Problems problems) {
        return Yaml.string(n, what, problems).map(v -> new Located<>(v, v, Yaml.pos(n)));
    }

    /** Reads true or false, reporting a value that is neither. */
    static Optional<Located<Boolean>> readBool(Node n, String what, Problems problems) {
        return Yaml.bool(n, what, problems).map(v -> new Located<>(v, Yaml.scalar(n), Yaml.pos(n)));
    }

    /** A score as the policy writes it: {@code 5}, {@code 2.5}, {@code -1.25}. */
    static String score(double score) {
        BigDecimal d =
                BigDecimal.valueOf(score).setScale(3, RoundingMode.HALF_EVEN).stripTrailingZeros();
        return d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
    }

    /** The way a person writes a duration: 30d, 2h, 5m, 30s or 500ms. */
    static String human(Duration d) {
        long ms = d.toMillis();
        long[] units = {86_400_000L, 3_600_000L, 60_000L, 1000L};
        String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (ms >= units[i] && ms % units[i] == 0) {
                return ms / units[i] + names[i];
            }
        }
        return ms + "ms";
    }

    /** The way a person reads a byte count: 25MiB, 100KB, or the plain number. */
    static String size(long bytes) {
        String[][] units = {
            {"GiB", "1073741824"},
            {"MiB", "1048576"},
            {"KiB", "1024"},
            {"GB", "1000000000"},
            {"MB", "1000000"},
            {"KB", "1000"}
        };
        for (String[] u : units) {
            long v = Long.parseLong(u[1]);
            if (bytes >= v && bytes % v == 0) {
                return bytes / v + u[0];
            }
        }
        return bytes + " bytes";
    }
}
