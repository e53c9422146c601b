package dev.bulwark.check.mime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

class EncodedWordsTest {

    /** Linear means a bounded number of looks at each character, whatever the value. */
    private static final int STEPS_PER_CHAR = 8;

    private static String repeat(String piece, int length) {
        StringBuilder sb = new StringBuilder(length + piece.length());
        while (sb.length() < length) {
            sb.append(piece);
        }
        return sb.toString();
    }

    private static long work(String value) {
        Work work = new Work();
        EncodedWords.decode(value, work);
        return work.steps();
    }

    @Test
    void decodingWorkIsLinearForUnterminatedEncodedWords() {
        int n = 64 * 1024;
        // Each of these used to make every word start search to the end of the value.
        for (String piece :
                List.of(
                        "=?utf-8?Q?ab ",
                        "=?utf-8?B?",
                        "=?=?",
                        "=?x?",
                        "=?utf-8?Q?a?b ",
                        "=?a?Q?")) {
            String value = repeat(piece, n);
            assertThat(work(value))
                    .as("work for %s...", piece)
                    .isLessThanOrEqualTo((long) STEPS_PER_CHAR * value.length());
        }
    }

    @Test
    void decodingWorkIsLinearForRandomMixturesOfWordPieces() {
        String[] pieces = {"=?", "?=", "?", "=", "utf-8", "Q", "B", "?Q?", "?B?", " ", "a", "=41"};
        Random random = new Random(2047);
        for (int round = 0; round < 200; round++) {
            StringBuilder sb = new StringBuilder();
            int count = 1 + random.nextInt(4000);
            for (int k = 0; k < count; k++) {
                sb.append(pieces[random.nextInt(pieces.length)]);
            }
            String value = sb.toString();
            assertThat(work(value))
                    .as("work for %s", value)
                    .isLessThanOrEqualTo((long) STEPS_PER_CHAR * value.length() + 16);
        }
    }

    @Test
    void decodesWordsAndDropsTheWhitespaceBetweenThem() {
        assertThat(EncodedWords.decode("=?utf-8?B?w5xiZXI=?= =?utf-8?Q?_alles?= und so"))
                .isEqualTo("Über alles und so");
        assertThat(EncodedWords.decode("a =?iso-8859-1?q?=E9t=E9?=")).isEqualTo("a été");
        assertThat(EncodedWords.decode("=?utf-8?Q?unterminated"))
                .isEqualTo("=?utf-8?Q?unterminated");
        assertThat(EncodedWords.decode("=?utf-8?X?abc?=")).isEqualTo("=?utf-8?X?abc?=");
    }
}
