package dev.bulwark.flow;

import dev.bulwark.check.Stage;
import dev.bulwark.check.rules.Rule;
import dev.bulwark.dns.RecordedResolver;
import dev.bulwark.policy.Cases;
import dev.bulwark.policy.CompiledPolicy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ruleset gate: every test case of a policy run through the transaction flow ({@link Trial}),
 * its verdict, stage and rules compared with what the case expects. {@code mvn verify} fails the
 * build on any mismatch, so a policy whose tests fail never ships.
 */
public final class Gate {
    private Gate() {}

    /** One case's result; {@code problems} is empty when it passed. */
    public record Result(Cases.Case testCase, Trial trial, List<String> problems) {
        public Result {
            problems = List.copyOf(problems);
        }

        public boolean passed() {
            return problems.isEmpty();
        }

        public String got() {
            return trial.verdictName() + " at " + trial.stage().key();
        }

        public String expected() {
            return testCase.expect() + testCase.stage().map(s -> " at " + s.key()).orElse("");
        }
    }

    /**
     * All results, notes on rules the cases do not exercise both ways, and the rules' descriptions
     * (by id) for the table.
     */
    public record Report(
            List<Result> results, List<String> coverage, Map<String, String> descriptions) {
        public Report {
            results = List.copyOf(results);
            coverage = List.copyOf(coverage);
            descriptions = Map.copyOf(descriptions);
        }

        public long passed() {
            return results.stream().filter(Result::passed).count();
        }

        public long failed() {
            return results.size() - passed();
        }

        /**
         * The table of failed cases (all cases when {@code all}): case, expected, got, rules fired;
         * then what each rule that fired in them is for, as its description says.
         */
        public String table(boolean all) {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"case", "expected", "got", "rules fired"});
            java.util.Set<String> shown = new java.util.LinkedHashSet<>();
            for (Result r : results) {
                if (all || !r.passed()) {
                    shown.addAll(r.trial().fired());
                    String fired = String.join(", ", r.trial().fired());
                    rows.add(
                            new String[] {
                                r.testCase().name(),
                                r.expected(),
                                r.got()
                                        + (r.passed()
                                                ? ""
                                                : "  <-- " + String.join("; ", r.problems())),
                                fired.isEmpty() ? "-" : fired
                            });
                }
            }
            int[] w = new int[3];
            for (String[] row : rows) {
                for (int i = 0; i < 3; i++) {
                    w[i] = Math.max(w[i], row[i].length());
                }
            }
            StringBuilder sb = new StringBuilder();
            for (String[] row : rows) {
                sb.append(
                        String.format(
                                "%-" + w[0] + "s  %-" + w[1] + "s  %-" + w[2] + "s  %s%n",
                                (Object[]) row));
            }
            List<String> described =
                    shown.stream().filter(descriptions::containsKey).sorted().toList();
            if (!described.isEmpty()) {
                sb.append("rules that fired above:%n".formatted());
                for (String id : described) {
                    sb.append("  %s \u2014 %s%n".formatted(id, descriptions.get(id)));
                }
            }
            return sb.toString();
        }
    }

    /** Runs every case; the report says which failed and why. */
    public static Report run(CompiledPolicy compiled, List<Cases.Case> cases) {
        Policy policy = Policy.of(compiled);
        List<Result> results = new ArrayList<>();
        List<String> coverage = new ArrayList<>();
        Map<String, int[]> seen = new LinkedHashMap<>();
        for (Stage s : Stage.values()) {
            for (Rule r : compiled.rules().rules(s)) {
                seen.put(r.id(), new int[2]);
            }
        }
        for (Cases.Case c : cases) {
            RecordedResolver dns = c.resolver();
            Trial trial = Trial.run(policy, c.envelope(), c.message(), dns);
            if (c.dns().isPresent() && !dns.unrecorded().isEmpty()) {
                // An unrecorded question got NXDOMAIN: the case may pass for the wrong reason.
                coverage.add(
                        "case '"
                                + c.name()
                                + "' asked DNS questions "
                                + c.dns().get().file()
                                + " does not record: "
                                + String.join(", ", dns.unrecorded()));
            }
            List<String> fired = trial.fired();
            for (Map.Entry<String, int[]> e : seen.entrySet()) {
                e.getValue()[fired.contains(e.getKey()) ? 0 : 1]++;
            }
            results.add(new Result(c, trial, problems(c, trial)));
        }
        for (Map.Entry<String, int[]> e : seen.entrySet()) {
            if (e.getValue()[0] == 0) {
                coverage.add("rule '" + e.getKey() + "' fires in no test case");
            } else if (e.getValue()[1] == 0) {
                coverage.add("rule '" + e.getKey() + "' fires in every test case");
            }
        }
        return new Report(results, coverage, compiled.descriptions());
    }

    /** How a trial differs from what its case expects. */
    static List<String> problems(Cases.Case c, Trial trial) {
        List<String> problems = new ArrayList<>();
        if (!trial.verdictName().equals(c.expect())) {
            problems.add("verdict");
        }
        if (c.stage().isPresent() && c.stage().get() != trial.stage()) {
            problems.add("stage");
        }
        List<String> fired = trial.fired();
        for (String id : c.fires()) {
            if (!fired.contains(id)) {
                problems.add(id + " did not fire");
            }
        }
        for (String id : c.notFires()) {
            if (fired.contains(id)) {
                problems.add(id + " fired");
            }
        }
        return problems;
    }
}
