package dev.bulwark.check;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One set of reserved hit ids: the catalogue, and the documentation that lists it. */
class ReservedIdsTest {

    private static String read(String file) throws IOException {
        return Files.readString(Path.of(file));
    }

    /** The ids in the first column of the policy language's "Reserved hit ids" table. */
    private static List<String> documentedInThePolicyLanguage() throws IOException {
        String doc = read("src/docs/policy.md");
        String section = doc.substring(doc.indexOf("## Reserved hit ids"));
        section = section.substring(0, section.indexOf("\n## ", 4));
        List<String> ids = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\| `([^`]+)` \\|").matcher(section);
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    @Test
    void thePolicyLanguageListsExactlyTheCatalogue() throws IOException {
        List<String> expected = new ArrayList<>(ReservedIds.fixed());
        expected.add(ReservedIds.rateLimit("<id>"));
        assertThat(documentedInThePolicyLanguage()).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void theReadmesAuditLogNamesEveryReservedId() throws IOException {
        String readme = read("README.md");
        for (String id : ReservedIds.fixed()) {
            assertThat(readme).contains("`" + id + "`");
        }
        assertThat(readme).contains("`ratelimit:<limit id>`");
    }

    @Test
    void noDocumentUsesTheOldSpellings() throws IOException {
        for (String file : List.of("README.md", "src/docs/policy.md")) {
            assertThat(read(file))
                    .as(file)
                    .doesNotContain("relay:denied", "relay:syntax", "internal:error");
        }
    }

    @Test
    void prefixedFamiliesAreReservedAndRuleIdsAreNot() {
        assertThat(ReservedIds.isReserved("ratelimit:per-ip")).isTrue();
        assertThat(ReservedIds.isReserved("limit:max-recipients")).isTrue();
        assertThat(ReservedIds.isReserved(ReservedIds.protocol("BARE_LINE_ENDING"))).isTrue();
        assertThat(ReservedIds.protocol("HEADER_TOO_BIG")).isEqualTo(ReservedIds.HEADER_TOO_BIG);
        assertThat(ReservedIds.isReserved("gtube")).isFalse();
        assertThat(ReservedIds.isLimit("ratelimit:per-ip")).isTrue();
        assertThat(ReservedIds.isLimit("relay-domains")).isFalse();
    }
}
