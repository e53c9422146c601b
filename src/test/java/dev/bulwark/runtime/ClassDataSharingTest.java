package dev.bulwark.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.util.List;

class ClassDataSharingTest {

    @Test
    void classListsOfTwoRunsThatDifferOnlyInTimingNormalizeToTheSameList() {
        List<String> first =
                List.of(
                        "# NOTE: Do not modify this file.",
                        "java/lang/Object id: 0",
                        "dev/bulwark/Main id: 7",
                        "@cp java/lang/StringBuilder 1 2 7 18",
                        "@lambda-proxy java/util/regex/Pattern is (I)Z",
                        "com/google/re2j/RE2 id: 8");
        List<String> second =
                List.of(
                        "# NOTE: Do not modify this file.",
                        "java/lang/Object id: 0",
                        "com/google/re2j/RE2 id: 7",
                        "dev/bulwark/Main id: 8",
                        "@lambda-proxy java/util/regex/Pattern is (I)Z",
                        "@cp java/lang/StringBuilder 1 2 7 18 23");

        assertThat(ClassDataSharing.normalize(first))
                .isEqualTo(ClassDataSharing.normalize(second))
                .containsExactly(
                        "com/google/re2j/RE2",
                        "dev/bulwark/Main",
                        "java/lang/Object",
                        "@lambda-proxy java/util/regex/Pattern is (I)Z");
    }

    @Test
    void launcherPassesTheArchiveOnlyWhenTheRuntimeHasOne() {
        assertThat(
                        Packager.launcher(
                                "dev.bulwark.Main",
                                List.of("app/a.jar"),
                                java.util.Optional.of(ClassDataSharing.ARCHIVE)))
                .contains("-XX:SharedArchiveFile=\"$home/lib/bulwark.jsa\" -Dbulwark.home=");
        assertThat(Packager.launcher("dev.bulwark.Main", List.of("app/a.jar")))
                .doesNotContain("SharedArchiveFile");
    }
}
