package dev.bulwark.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The writer of the canonical policy form: its bytes are hashed, so its output is pinned here. */
class JsonWriterTest {

    @Test
    void writesATreeIndentedInMapOrderWithPlainNumbers() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("b", List.of(1L, new BigDecimal("2.50"), new BigDecimal("1E+3"), true));
        tree.put("a", Map.of());
        tree.put("c", List.of());
        tree.put("d", "line\nbreak \"quoted\" \u2028");
        assertThat(JsonWriter.write(tree))
                .isEqualTo(
                        """
                        {
                          "b": [
                            1,
                            2.5,
                            1000,
                            true
                          ],
                          "a": {},
                          "c": [],
                          "d": "line\\nbreak \\"quoted\\" \\u2028"
                        }
                        """);
    }

    @Test
    void whatItWritesItsReaderReadsBack() {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("n", 42L);
        tree.put("list", List.of("x", Map.of("k", false)));
        assertThat(JsonReader.parse(JsonWriter.write(tree))).isEqualTo(tree);
    }

    @Test
    void refusesWhatIsNotACanonicalValue() {
        assertThatThrownBy(() -> JsonWriter.write(Map.of("x", 1.5d)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a canonical value");
    }
}
