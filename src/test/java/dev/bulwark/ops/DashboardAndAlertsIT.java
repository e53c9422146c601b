package dev.bulwark.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.json.JsonReader;
import dev.bulwark.testing.PrometheusText;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The Grafana dashboard and the Prometheus alert rules read only metrics a node exports: a node
 * runs every kind of traffic, is scraped, and every metric name in the dashboard's queries, the
 * alert expressions and the alerts' test series must be among the scraped sample names.
 */
class DashboardAndAlertsIT {

    private static final Path DASHBOARD = Path.of("src/ops/grafana/bulwark.json");
    private static final Path RULES = Path.of("src/ops/prometheus/bulwark-alerts.yml");
    private static final Path RULE_TESTS = Path.of("src/ops/prometheus/bulwark-alerts-test.yml");

    private static Set<String> exported;
    private static Map<?, ?> dashboard;

    @BeforeAll
    static void scrapeANodeAfterEveryKindOfTraffic() throws Exception {
        try (TrafficNode node = TrafficNode.start(Optional.empty())) {
            int sessions = node.sendEveryKindOfTraffic();
            PrometheusText text =
                    node.scrapeUntil(
                            t ->
                                    t.value("bulwark_connections_total").orElse(0.0) >= sessions
                                            && !t.series("bulwark_rate_limit_refusals_total")
                                                    .isEmpty());
            exported = new TreeSet<>();
            text.samples().forEach(s -> exported.add(s.name()));
        }
        dashboard = (Map<?, ?>) JsonReader.parseAnyNumbers(Files.readString(DASHBOARD));
    }

    /** Every query of the dashboard: panel targets and variable queries. */
    private static List<String> dashboardQueries() {
        List<String> queries = new ArrayList<>();
        for (Object p : (List<?>) dashboard.get("panels")) {
            Object targets = ((Map<?, ?>) p).get("targets");
            if (targets != null) {
                for (Object t : (List<?>) targets) {
                    queries.add((String) ((Map<?, ?>) t).get("expr"));
                }
            }
        }
        return queries;
    }

    private static List<Map<?, ?>> variables() {
        List<Map<?, ?>> out = new ArrayList<>();
        for (Object v : (List<?>) ((Map<?, ?>) dashboard.get("templating")).get("list")) {
            out.add((Map<?, ?>) v);
        }
        return out;
    }

    private static Object yaml(Path file) throws Exception {
        return new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
    }

    @Test
    void theNodeExportsEveryMetricFamilyTheTrafficTouches() {
        assertThat(exported)
                .contains(
                        "bulwark_build_info",
                        "bulwark_connections_total",
                        "bulwark_connections_active",
                        "bulwark_connections_refused_total",
                        "bulwark_transactions_total",
                        "bulwark_refusals_total",
                        "bulwark_rate_limit_refusals_total",
                        "bulwark_shadow_hits_total",
                        "bulwark_next_hop_latency_seconds_bucket",
                        "bulwark_next_hop_errors_total",
                        "bulwark_rate_limit_backend_up");
    }

    @Test
    void theDashboardQueriesOnlyMetricsTheNodeExports() {
        Set<String> used = new TreeSet<>();
        dashboardQueries().forEach(q -> used.addAll(PromQl.metricNames(q)));
        for (Map<?, ?> v : variables()) {
            if (v.get("definition") instanceof String definition) {
                used.addAll(PromQl.variableQueryNames(definition));
            }
        }

        assertThat(used).isNotEmpty().isSubsetOf(exported);
    }

    @Test
    void theDashboardShowsEveryMetricFamilyTheNodeExports() {
        Set<String> used = new TreeSet<>();
        dashboardQueries().forEach(q -> used.addAll(PromQl.metricNames(q)));
        Set<String> families = new TreeSet<>();
        for (String name : exported) {
            families.add(name.replaceAll("_(bucket|sum|count|max)$", ""));
        }
        Set<String> shown = new TreeSet<>();
        for (String name : used) {
            shown.add(name.replaceAll("_(bucket|sum|count|max)$", ""));
        }

        assertThat(shown).containsAll(families);
    }

    @Test
    void everyPanelQueriesTheDatasourceTheImporterChooses() {
        assertThat(variables())
                .anySatisfy(
                        v -> {
                            assertThat(v.get("name")).isEqualTo("datasource");
                            assertThat(v.get("type")).isEqualTo("datasource");
                            assertThat(v.get("query")).isEqualTo("prometheus");
                        });
        for (Object p : (List<?>) dashboard.get("panels")) {
            Map<?, ?> panel = (Map<?, ?>) p;
            if (panel.get("type").equals("row")) {
                continue;
            }
            assertThat(((Map<?, ?>) panel.get("datasource")).get("uid"))
                    .as("datasource of panel %s", panel.get("title"))
                    .isEqualTo("${datasource}");
            assertThat((List<?>) panel.get("targets"))
                    .as("queries of %s", panel.get("title"))
                    .isNotEmpty();
        }
        assertThat(dashboard.get("uid")).isEqualTo("bulwark");
    }

    @Test
    void theAlertRulesAndTheirTestsUseOnlyMetricsTheNodeExports() throws Exception {
        Set<String> used = new TreeSet<>();
        Map<?, ?> rules = (Map<?, ?>) yaml(RULES);
        for (Object group : (List<?>) rules.get("groups")) {
            for (Object rule : (List<?>) ((Map<?, ?>) group).get("rules")) {
                used.addAll(PromQl.metricNames((String) ((Map<?, ?>) rule).get("expr")));
            }
        }
        assertThat(used)
                .contains(
                        "bulwark_next_hop_errors_total",
                        "bulwark_rate_limit_backend_up",
                        "bulwark_build_info",
                        "bulwark_refusals_total")
                .isSubsetOf(exported);

        Set<String> series = new TreeSet<>();
        Map<?, ?> tests = (Map<?, ?>) yaml(RULE_TESTS);
        for (Object test : (List<?>) tests.get("tests")) {
            for (Object input : (List<?>) ((Map<?, ?>) test).get("input_series")) {
                series.addAll(PromQl.metricNames((String) ((Map<?, ?>) input).get("series")));
            }
        }
        assertThat(series).isNotEmpty().isSubsetOf(exported);
    }
}
