package dev.bulwark.auth.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.auth.HeaderBlock;
import dev.bulwark.auth.HeaderField;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/** RFC 6376 section 3.4.5's canonicalization example, and the streaming edge cases. */
class CanonicalizationTest {

    private static final String EXAMPLE =
            "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";

    private static byte[] hash(String s) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static byte[] body(String body, boolean relaxed, int chunk) {
        BodyHasher h = new BodyHasher(relaxed, -1);
        byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < b.length; i += chunk) {
            h.update(b, i, Math.min(chunk, b.length - i));
        }
        return h.finish();
    }

    @Test
    void canonicalizesTheRfcExampleHeaders() throws Exception {
        List<HeaderField> fields =
                HeaderBlock.read(
                        new ByteArrayInputStream(EXAMPLE.getBytes(StandardCharsets.ISO_8859_1)),
                        1000,
                        10);
        ByteArrayOutputStream relaxed = new ByteArrayOutputStream();
        ByteArrayOutputStream simple = new ByteArrayOutputStream();
        for (HeaderField f : fields) {
            HeaderCanon.append(relaxed, f, true);
            HeaderCanon.append(simple, f, false);
        }
        assertThat(relaxed.toString(StandardCharsets.ISO_8859_1)).isEqualTo("a:X\r\nb:Y Z\r\n");
        assertThat(simple.toString(StandardCharsets.ISO_8859_1))
                .isEqualTo("A: X\r\nB : Y\t\r\n\tZ  \r\n");
    }

    @Test
    void canonicalizesTheRfcExampleBodyInAnyChunking() throws Exception {
        String body = " C \r\nD \t E\r\n\r\n\r\n";
        for (int chunk : new int[] {1, 2, 3, 7, 1000}) {
            assertThat(body(body, true, chunk)).isEqualTo(hash(" C\r\nD E\r\n"));
            assertThat(body(body, false, chunk)).isEqualTo(hash(" C \r\nD \t E\r\n"));
        }
    }

    @Test
    void canonicalizesEmptyAndUnterminatedBodies() throws Exception {
        assertThat(body("", true, 10)).isEqualTo(hash(""));
        assertThat(body("", false, 10)).isEqualTo(hash("\r\n"));
        assertThat(body("\r\n\r\n", false, 10)).isEqualTo(hash("\r\n"));
        assertThat(body(" \t \r\n\r\n", true, 10)).isEqualTo(hash(""));
        assertThat(body("end", false, 10)).isEqualTo(hash("end\r\n"));
        assertThat(body("end  ", true, 10)).isEqualTo(hash("end\r\n"));
    }

    @Test
    void emptiesOnlyTheBTagOfTheSignature() {
        String field = "DKIM-Signature: v=1; bh=abc=;\r\n b=AbC\r\n dEf=\r\n";
        assertThat(HeaderCanon.withoutB(field))
                .isEqualTo("DKIM-Signature: v=1; bh=abc=;\r\n b=\r\n");
        assertThat(HeaderCanon.withoutB("DKIM-Signature: b=xyz; d=example.com\r\n"))
                .isEqualTo("DKIM-Signature: b=; d=example.com\r\n");
    }
}
