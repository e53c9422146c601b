package dev.bulwark.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlTest {

    @Test
    void findsTheHistogramSeriesInsideAQuantileAndIgnoresLabelsAndVariables() {
        assertThat(
                        PromQl.metricNames(
                                "histogram_quantile(0.99, sum by (le)"
                                        + " (rate(bulwark_next_hop_latency_seconds_bucket"
                                        + "{instance=~\"$instance\"}[$__rate_interval])))"))
                .containsExactly("bulwark_next_hop_latency_seconds_bucket");
    }

    @Test
    void findsEveryOperandOfBinaryOperatorsAndSkipsKeywordsAndDurations() {
        assertThat(
                        names(
                                "sum by (rule) (rate(a_total[10m])) > 5 * sum by (rule)"
                                    + " (rate(b_total[6h] offset 1d)) and on (rule) c > bool 0.1"
                                    + " unless d"))
                .containsExactly("a_total", "b_total", "c", "d");
        assertThat(names("count(count by (policy_digest) (bulwark_build_info)) > 1"))
                .containsExactly("bulwark_build_info");
        assertThat(names("absent(x_up) or sum(y) without (instance)")).containsExactly("x_up", "y");
    }

    @Test
    void ignoresNamesInsideStringsAndMatchers() {
        assertThat(names("m{kind=~\"transient|unreachable\", stage='not_a_metric'} == 0"))
                .containsExactly("m");
    }

    @Test
    void readsTheMetricOfAGrafanaLabelValuesQuery() {
        assertThat(PromQl.variableQueryNames("label_values(bulwark_build_info, instance)"))
                .containsExactly("bulwark_build_info");
        assertThat(PromQl.variableQueryNames("query_result(up_metric)"))
                .containsExactly("up_metric");
    }

    private static java.util.Set<String> names(String expression) {
        return PromQl.metricNames(expression);
    }
}
