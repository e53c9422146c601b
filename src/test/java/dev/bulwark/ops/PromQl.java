package dev.bulwark.ops;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads, found without a PromQL parser: string literals, label
 * matchers, grouping clauses, ranges and Grafana variables are removed, and what is left that looks
 * like a name and is not called like a function or spelled like a keyword is a metric. Enough for
 * the expressions of our dashboard and alert rules, whose tests check it on examples.
 */
final class PromQl {

    private PromQl() {}

    private static final Pattern STRINGS =
            Pattern.compile("\"(\\\\.|[^\"\\\\])*\"|'(\\\\.|[^'\\\\])*'|`[^`]*`");
    private static final Pattern GRAFANA_VARIABLES = Pattern.compile("\\$\\{[^}]*}|\\$\\w+");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGES = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPING =
            Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern TOKEN =
            Pattern.compile("[0-9][0-9A-Za-z.]*|[A-Za-z_:][A-Za-z0-9_:]*");
    private static final Set<String> KEYWORDS =
            Set.of(
                    "and",
                    "or",
                    "unless",
                    "bool",
                    "offset",
                    "by",
                    "without",
                    "on",
                    "ignoring",
                    "group_left",
                    "group_right",
                    "inf",
                    "nan",
                    "Inf",
                    "NaN",
                    "atan2");
    private static final Pattern LABEL_VALUES =
            Pattern.compile("label_values\\(\\s*([A-Za-z_:][A-Za-z0-9_:]*)");

    /** Metric names in a PromQL expression, in order of first use. */
    static Set<String> metricNames(String expression) {
        String e = STRINGS.matcher(expression).replaceAll(" ");
        e = GRAFANA_VARIABLES.matcher(e).replaceAll(" ");
        e = MATCHERS.matcher(e).replaceAll(" ");
        e = RANGES.matcher(e).replaceAll(" ");
        e = GROUPING.matcher(e).replaceAll(" ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = TOKEN.matcher(e);
        while (m.find()) {
            String token = m.group();
            if (Character.isDigit(token.charAt(0)) || KEYWORDS.contains(token)) {
                continue;
            }
            int next = m.end();
            while (next < e.length() && Character.isWhitespace(e.charAt(next))) {
                next++;
            }
            if (next < e.length() && e.charAt(next) == '(') {
                continue; // a function or aggregation
            }
            names.add(token);
        }
        return names;
    }

    /**
     * Metric names in a Grafana variable query: {@code label_values(metric, label)} reads metric,
     * anything else is PromQL.
     */
    static Set<String> variableQueryNames(String query) {
        Matcher m = LABEL_VALUES.matcher(query);
        if (m.find()) {
            return Set.of(m.group(1));
        }
        return metricNames(query);
    }
}
