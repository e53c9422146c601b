package dev.bulwark.auth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a message's header block from a stream, bounded, and leaves the stream at the first octet
 * of the body: the body is then hashed as it streams, never held whole.
 */
public final class HeaderBlock {

    /** The header block is larger than the bound. */
    public static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        TooLarge(String message) {
            super(message);
        }
    }

    private HeaderBlock() {}

    /**
     * The fields before the empty line (or the end of the message), in order.
     *
     * @param maxBytes the most octets the header block may have
     * @param maxFields the most fields it may have
     * @throws TooLarge past either bound
     */
    public static List<HeaderField> read(InputStream in, int maxBytes, int maxFields)
            throws IOException {
        List<HeaderField> fields = new ArrayList<>();
        ByteArrayOutputStream current = null;
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long total = 0;
        while (true) {
            line.reset();
            int c;
            while ((c = in.read()) != -1) {
                line.write(c);
                if (++total > maxBytes) {
                    throw new TooLarge("header block over " + maxBytes + " octets");
                }
                if (c == '\n') {
                    break;
                }
            }
            byte[] l = line.toByteArray();
            boolean end = l.length == 0 || isBlank(l);
            boolean continuation = !end && (l[0] == ' ' || l[0] == '\t');
            if (current != null && !continuation) {
                fields.add(field(current.toByteArray()));
                current = null;
                if (fields.size() > maxFields) {
                    throw new TooLarge("more than " + maxFields + " header fields");
                }
            }
            if (end) {
                return fields;
            }
            if (continuation && current != null) {
                current.writeBytes(l);
            } else if (!continuation) {
                current = new ByteArrayOutputStream();
                current.writeBytes(l);
            }
            // A continuation line before any field is ignored: it belongs to nothing.
            if (c == -1) {
                if (current != null) {
                    fields.add(field(current.toByteArray()));
                }
                return fields;
            }
        }
    }

    private static boolean isBlank(byte[] l) {
        return (l.length == 2 && l[0] == '\r' && l[1] == '\n') || (l.length == 1 && l[0] == '\n');
    }

    private static HeaderField field(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int colon = text.indexOf(':');
        String name = (colon < 0 ? text : text.substring(0, colon)).strip();
        return new HeaderField(name, raw);
    }
}
