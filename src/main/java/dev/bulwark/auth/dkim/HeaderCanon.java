package dev.bulwark.auth.dkim;

import dev.bulwark.auth.HeaderField;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Header canonicalization (RFC 6376 section 3.4.1 and 3.4.2). */
final class HeaderCanon {

    private HeaderCanon() {}

    /** A field canonicalized, with its final CRLF. */
    static void append(ByteArrayOutputStream out, HeaderField f, boolean relaxed) {
        if (!relaxed) {
            out.writeBytes(f.raw());
            return;
        }
        out.writeBytes(
                relaxed(new String(f.raw(), StandardCharsets.ISO_8859_1))
                        .getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(new byte[] {'\r', '\n'});
    }

    /**
     * "name:value" relaxed: name lower case, unfolded, runs of whitespace one space, none around
     * the colon or at the end. No CRLF.
     */
    static String relaxed(String raw) {
        int colon = raw.indexOf(':');
        String name = raw.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        String value = raw.substring(colon + 1).replace("\r\n", "").replace("\n", "");
        StringBuilder sb = new StringBuilder(name).append(':');
        boolean wsp = false;
        boolean started = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == ' ' || c == '\t') {
                wsp = true;
                continue;
            }
            if (wsp && started) {
                sb.append(' ');
            }
            wsp = false;
            started = true;
            sb.append(c);
        }
        return sb.toString();
    }

    /**
     * The DKIM-Signature field itself as it enters the header hash: the b= tag's value emptied,
     * canonicalized, without the final CRLF (RFC 6376 section 3.7).
     */
    static byte[] signatureField(HeaderField f, boolean relaxed) {
        String raw = new String(f.raw(), StandardCharsets.ISO_8859_1);
        String blanked = withoutB(raw);
        if (relaxed) {
            return relaxed(blanked).getBytes(StandardCharsets.ISO_8859_1);
        }
        String s = blanked.endsWith("\r\n") ? blanked.substring(0, blanked.length() - 2) : blanked;
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The field with everything between "b=" and the next ";" (or the end) removed. */
    static String withoutB(String raw) {
        int colon = raw.indexOf(':');
        int i = colon + 1;
        while (i < raw.length()) {
            int semi = raw.indexOf(';', i);
            int end = semi < 0 ? raw.length() : semi;
            String spec = raw.substring(i, end);
            int eq = spec.indexOf('=');
            if (eq >= 0 && spec.substring(0, eq).strip().equals("b")) {
                int valueStart = i + eq + 1;
                int valueEnd = end;
                if (semi < 0 && raw.endsWith("\r\n") && valueEnd >= raw.length() - 2) {
                    valueEnd = raw.length() - 2; // keep the field's own CRLF
                }
                return raw.substring(0, valueStart) + raw.substring(valueEnd);
            }
            if (semi < 0) {
                break;
            }
            i = semi + 1;
        }
        return raw;
    }
}
