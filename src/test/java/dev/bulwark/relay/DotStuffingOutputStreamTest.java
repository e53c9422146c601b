package dev.bulwark.relay;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

class DotStuffingOutputStreamTest {

    private static String stuff(String... writes) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DotStuffingOutputStream s = new DotStuffingOutputStream(out);
        for (String w : writes) {
            s.write(w.getBytes(StandardCharsets.US_ASCII));
        }
        s.finish();
        return out.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void doublesLeadingDotsAcrossWriteBoundaries() throws Exception {
        assertThat(stuff(".a\r\nb\r", "\n.", "c\r\n")).isEqualTo("..a\r\nb\r\n..c\r\n.\r\n");
    }

    @Test
    void endsUnterminatedDataWithCrlfBeforeTheDot() throws Exception {
        assertThat(stuff("no newline")).isEqualTo("no newline\r\n.\r\n");
        assertThat(stuff()).isEqualTo(".\r\n");
    }
}
