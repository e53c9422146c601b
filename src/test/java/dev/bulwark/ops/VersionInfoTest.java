package dev.bulwark.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VersionInfoTest {

    private static final VersionInfo INFO =
            new VersionInfo("1.2.3", "0123abc", "ab".repeat(32), "verified");

    @Test
    void writesOneFlatJsonObject() {
        assertThat(INFO.toJson())
                .isEqualTo(
                        "{\"version\":\"1.2.3\",\"commit\":\"0123abc\",\"policy_digest\":\""
                                + "ab".repeat(32)
                                + "\",\"signature\":\"verified\"}");
    }

    @Test
    void readsBackWhatItWrites() {
        assertThat(VersionInfo.parse(INFO.toJson())).contains(INFO);
        VersionInfo odd = new VersionInfo("1.0 \"beta\"", "c\\d", "e\u00e9", "unsigned\n");
        assertThat(VersionInfo.parse(odd.toJson())).contains(odd);
    }

    @Test
    void ignoresMembersANewerNodeMayAdd() {
        String json =
                """
                { "uptime": 12.5, "version": "1.2.3", "features": {"a": [1, "}"]}, "commit": "0123abc",
                  "policy_digest": "%s", "signed": true, "signature": "verified", "nothing": null }
                """
                        .formatted("ab".repeat(32));

        assertThat(VersionInfo.parse(json)).contains(INFO);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "ok",
                "<html>502 Bad Gateway</html>",
                "{\"version\":\"1\",\"commit\":\"c\",\"policy_digest\":\"d\"}",
                "{\"version\":\"1\",\"commit\":\"c\",\"policy_digest\":\"d\",\"signature\":\"\"}",
                "{\"version\":\"1\",\"commit\":\"c\",\"policy_digest\":\"d\",\"signature\":\"s\"",
                "{\"version\":\"1\",\"commit\":\"c\",\"policy_digest\":\"d\",\"signature\":\"s\"}"
                        + " trailing",
                "{\"version\":1,\"commit\":\"c\",\"policy_digest\":\"d\",\"signature\":\"s\"}",
            })
    void rejectsAnythingThatIsNotAVersionDocument(String text) {
        assertThat(VersionInfo.parse(text)).isEmpty();
    }

    @Test
    void refusesBlankFields() {
        assertThatThrownBy(() -> new VersionInfo("1", " ", "d", "s"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("commit must not be blank");
    }
}
