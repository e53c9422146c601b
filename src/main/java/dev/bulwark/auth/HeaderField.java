package dev.bulwark.auth;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One header field exactly as received: its name and its raw octets, folding and the final CRLF
 * included (DKIM's simple canonicalization needs them unchanged).
 */
public record HeaderField(String name, byte[] raw) {

    /** The name in lower case, for comparisons. */
    public String key() {
        return name.toLowerCase(Locale.ROOT);
    }

    /** The value after the colon, unfolded (CRLFs removed), as ISO-8859-1 text. */
    public String value() {
        String all = new String(raw, StandardCharsets.ISO_8859_1);
        int colon = all.indexOf(':');
        return all.substring(colon + 1).replace("\r\n", "").replace("\n", "").strip();
    }
}
