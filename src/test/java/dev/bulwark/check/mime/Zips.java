package dev.bulwark.check.mime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Real zip archives (java.util.zip writes them) and messages that attach them. */
final class Zips {
    private Zips() {}

    /** The start of a Windows executable: what {@code MZ} sniffing recognises. */
    static final byte[] EXE =
            "MZ\u0090\u0000\u0003 this program cannot be run in DOS mode"
                    .getBytes(StandardCharsets.ISO_8859_1);

    static Map<String, byte[]> entries(Object... nameThenContent) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < nameThenContent.length; i += 2) {
            Object c = nameThenContent[i + 1];
            m.put(
                    (String) nameThenContent[i],
                    c instanceof byte[] b ? b : c.toString().getBytes(StandardCharsets.UTF_8));
        }
        return m;
    }

    static byte[] zip(Map<String, byte[]> entries) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ZipOutputStream z = new ZipOutputStream(out)) {
                for (var e : entries.entrySet()) {
                    z.putNextEntry(new ZipEntry(e.getKey()));
                    z.write(e.getValue());
                    z.closeEntry();
                }
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A message with a text part and {@code zip} attached as {@code name}, in base64. */
    static byte[] message(String name, byte[] zip) {
        String b64 =
                Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(zip);
        String m =
                "From: alice@example.org\r\n"
                        + "To: bob@example.com\r\n"
                        + "Subject: the files\r\n"
                        + "MIME-Version: 1.0\r\n"
                        + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                        + "--b\r\nContent-Type: text/plain\r\n\r\nhere they are\r\n"
                        + "--b\r\nContent-Type: application/zip; name=\""
                        + name
                        + "\"\r\nContent-Disposition: attachment; filename=\""
                        + name
                        + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                        + b64
                        + "\r\n--b--\r\n";
        return m.getBytes(StandardCharsets.US_ASCII);
    }
}
