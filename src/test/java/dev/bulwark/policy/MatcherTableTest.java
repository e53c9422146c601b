package dev.bulwark.policy;

import static dev.bulwark.policy.TestPolicies.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.bulwark.check.Stage;
import dev.bulwark.check.rules.Condition;
import dev.bulwark.check.rules.Rule;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The matcher table is the one place a matcher is defined: the documentation lists exactly its
 * rows, at the same stages, and a compiled matcher carries its row's name and stage.
 */
class MatcherTableTest {

    private static final Path DOCS = Path.of("src/docs/policy.md");

    /** A row of the table under "## Matchers": | `name` | operand | stage | holds when |. */
    private static final Pattern ROW =
            Pattern.compile("^\\| `([a-z-]+)` \\| ([^|]+) \\| ([a-z]+) \\| [^|]+ \\|$");

    /** Matcher name to the stage column, from the documentation's matcher table. */
    private static Map<String, String> documented() throws IOException {
        List<String> lines = Files.readAllLines(DOCS, StandardCharsets.UTF_8);
        int start = lines.indexOf("## Matchers");
        assertThat(start).as("a '## Matchers' section in " + DOCS).isNotNegative();
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.startsWith("#")) {
                break;
            }
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                out.put(m.group(1), m.group(3));
            }
        }
        return out;
    }

    @Test
    void everyMatcherIsDocumentedUnderItsNameAtItsStageAndNothingElseIs() throws IOException {
        Map<String, String> inTable = new LinkedHashMap<>();
        for (MatcherRow<?, ?> row : Matchers.ALL) {
            inTable.put(row.name(), row.earliest().key());
        }
        assertThat(documented()).containsExactlyInAnyOrderEntriesOf(inTable);
    }

    @Test
    void namesInTheTableAreUniqueAndNoneIsAComposition() {
        assertThat(Matchers.names()).hasSize(Matchers.ALL.size());
        assertThat(Matchers.names()).doesNotContainAnyElementsOf(Language.COMPOSITES);
    }

    @Test
    void aCompiledMatcherCarriesTheNameAndStageOfItsRow() {
        CompiledPolicy p =
                policy(
                        """
                        rules:
                          data:
                            - id: r
                              when: {body-matches: free, helo-is: fqdn, sender-null: true}
                              action: reject
                        """);
        Rule r = p.rules().rules(Stage.DATA).get(0);
        List<Condition> parts = ((Condition.All) r.when()).conditions();
        assertThat(parts)
                .extracting(Condition::name, Condition::earliest)
                .containsExactly(
                        tuple("body-matches", Stage.DATA),
                        tuple("helo-is", Stage.HELO),
                        tuple("sender-null", Stage.MAIL));
        assertThat(r.when().earliest()).as("all: the latest of its parts").isEqualTo(Stage.DATA);
    }

    @Test
    void aMatcherIsRefusedBeforeItsStageByTheTable() {
        for (MatcherRow<?, ?> row : Matchers.ALL) {
            if (row.earliest() == Stage.CONNECT) {
                continue;
            }
            Stage before = Stage.values()[row.earliest().ordinal() - 1];
            String text =
                    "relay-domains: [example.com]\nrules:\n  %s:\n    - {id: r, when: {%s: x}, action: reject}\n"
                            .formatted(before.key(), row.name());
            try {
                CompiledPolicy.fromCanonical("t.yaml", text);
                throw new AssertionError(row.name() + " compiled at " + before.key());
            } catch (PolicyException e) {
                assertThat(e.diagnostics())
                        .extracting(Diagnostic::message)
                        .containsExactly(
                                "'"
                                        + row.name()
                                        + "' cannot be used in "
                                        + before.key()
                                        + " rules: "
                                        + Language.known(row.earliest()));
            }
        }
    }
}
