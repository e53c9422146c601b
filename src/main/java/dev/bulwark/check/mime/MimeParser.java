package dev.bulwark.check.mime;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A lenient MIME parser for content rules. It reads the whole message once, walks nested multiparts
 * and attached messages, decodes only what rules look at (text parts, header words, file names) and
 * never throws on malformed input: whatever cannot be parsed is recorded in {@link
 * ParsedMessage#defects()} and the rest is still evaluated. Lines may end in CRLF or LF.
 *
 * <p>Stateless and thread-safe.
 */
public final class MimeParser {

    /** Multipart nesting beyond this is a defect and is not descended into (zip-bomb-like MIME). */
    static final int MAX_DEPTH = 20;

    /** Parts beyond this are a defect and are skipped. */
    static final int MAX_PARTS = 500;

    /** Decoded text kept for body rules, in chars: bounds memory for huge text parts. */
    static final int MAX_TEXT = 4 * 1024 * 1024;

    private MimeParser() {}

    public static ParsedMessage parse(byte[] raw) {
        Context ctx = new Context();
        Entity top = ctx.entity(raw, 0, raw.length, true);
        ctx.walk(top, 0, false);
        String subject = "";
        for (ParsedMessage.Header h : top.headers) {
            if (h.is("subject")) {
                subject = h.value();
                break;
            }
        }
        return new ParsedMessage(
                top.headers,
                subject,
                ctx.text.toString(),
                ctx.attachments,
                new ArrayList<>(ctx.hosts),
                ctx.defects);
    }

    /**
     * One entity: its headers (for the top level only, decoded) and its body, a window {@code
     * [bodyStart, bodyEnd)} into {@code buffer}: the message's own buffer, or for an attached
     * message sent in base64 or quoted-printable, the buffer it was decoded into.
     */
    private static final class Entity {
        final List<ParsedMessage.Header> headers = new ArrayList<>();
        String contentType = "";
        String transferEncoding = "";
        String disposition = "";
        int bodyStart;
        int bodyEnd;
        byte[] buffer;
    }

    private static final class Context {
        final StringBuilder text = new StringBuilder();
        final List<ParsedMessage.Attachment> attachments = new ArrayList<>();
        final Set<String> hosts = new LinkedHashSet<>();
        final List<String> defects = new ArrayList<>();
        int parts;

        /** Reads the header block of the window [start, end) of {@code raw}. */
        Entity entity(byte[] raw, int start, int end, boolean top) {
            Entity e = new Entity();
            e.buffer = raw;
            int i = start;
            String name = null;
            StringBuilder value = null;
            while (i < end) {
                int eol = indexOf(raw, (byte) '\n', i, end);
                int lineEnd = eol < 0 ? end : eol;
                int next = eol < 0 ? end : eol + 1;
                int contentEnd = lineEnd > i && raw[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
                if (contentEnd == i) { // empty line: end of headers
                    i = next;
                    break;
                }
                byte first = raw[i];
                if ((first == ' ' || first == '\t') && name != null) {
                    // Unfold, and collapse the folding whitespace to one space: a folded subject
                    // should read the way a mail reader shows it.
                    int k = i;
                    while (k < contentEnd && (raw[k] == ' ' || raw[k] == '\t')) {
                        k++;
                    }
                    value.append(' ').append(string(raw, k, contentEnd));
                } else {
                    if (name != null) {
                        header(e, name, value.toString(), top);
                    }
                    int colon = indexOf(raw, (byte) ':', i, contentEnd);
                    if (colon <= i || !fieldName(raw, i, colon)) {
                        Transfer.add(defects, "header line without colon");
                        name = null;
                    } else {
                        name = new String(raw, i, colon - i, StandardCharsets.ISO_8859_1).trim();
                        value = new StringBuilder(string(raw, colon + 1, contentEnd));
                    }
                }
                i = next;
            }
            if (name != null) {
                header(e, name, value.toString(), top);
            }
            e.bodyStart = Math.min(i, end);
            e.bodyEnd = end;
            return e;
        }

        private void header(Entity e, String name, String value, boolean top) {
            String v = value.trim();
            if (name.equalsIgnoreCase("content-type")) {
                e.contentType = v;
            } else if (name.equalsIgnoreCase("content-transfer-encoding")) {
                e.transferEncoding = v.toLowerCase(Locale.ROOT);
            } else if (name.equalsIgnoreCase("content-disposition")) {
                e.disposition = v;
            }
            if (top) {
                e.headers.add(new ParsedMessage.Header(name, EncodedWords.decode(v)));
            }
        }

        /** Walks an entity: multipart, attached message, or a leaf. */
        void walk(Entity e, int depth, boolean digest) {
            if (++parts > MAX_PARTS) {
                Transfer.add(defects, "too many parts");
                return;
            }
            EncodedWords.Structured type =
                    e.contentType.isEmpty()
                            ? new EncodedWords.Structured(
                                    digest ? "message/rfc822" : "text/plain", java.util.Map.of())
                            : EncodedWords.structured(e.contentType);
            String mime = type.value();
            if (mime.indexOf('/') < 0) {
                Transfer.add(defects, "malformed content type");
                mime = "text/plain";
            }
            if (mime.startsWith("multipart/")) {
                String boundary = type.params().get("boundary");
                if (boundary == null || boundary.isEmpty()) {
                    Transfer.add(defects, "multipart without boundary");
                    leaf(e, "text/plain", type, EncodedWords.structured(e.disposition));
                    return;
                }
                if (depth >= MAX_DEPTH) {
                    Transfer.add(defects, "nesting too deep");
                    return;
                }
                multipart(e, boundary, depth, mime.equals("multipart/digest"));
                return;
            }
            EncodedWords.Structured disposition = EncodedWords.structured(e.disposition);
            if (mime.equals("message/rfc822") || mime.equals("message/global")) {
                String name = filename(type, disposition);
                if (!name.isEmpty()) {
                    attachments.add(new ParsedMessage.Attachment(name, mime));
                }
                if (depth >= MAX_DEPTH) {
                    Transfer.add(defects, "nesting too deep");
                    return;
                }
                // The attached message is a window into its parent's buffer: no copy. Only an
                // attached message sent encoded (against RFC 2046, but seen) is decoded into a
                // buffer of its own, which lives while it is walked.
                Entity inner =
                        identity(e)
                                ? entity(e.buffer, e.bodyStart, e.bodyEnd, false)
                                : decodedEntity(e);
                walk(inner, depth + 1, false);
                return;
            }
            leaf(e, mime, type, disposition);
        }

        private Entity decodedEntity(Entity e) {
            byte[] body = decoded(e);
            return entity(body, 0, body.length, false);
        }

        private void multipart(Entity e, String boundary, int depth, boolean digest) {
            byte[] raw = e.buffer;
            byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
            int i = e.bodyStart;
            int end = e.bodyEnd;
            int partStart = -1;
            boolean closed = false;
            int count = 0;
            while (i < end) {
                int eol = indexOf(raw, (byte) '\n', i, end);
                int lineEnd = eol < 0 ? end : eol;
                int next = eol < 0 ? end : eol + 1;
                if (lineEnd - i >= delimiter.length
                        && raw[i] == '-'
                        && startsWith(raw, i, delimiter)) {
                    int after = i + delimiter.length;
                    boolean close =
                            after + 1 < lineEnd && raw[after] == '-' && raw[after + 1] == '-';
                    int rest = close ? after + 2 : after;
                    if (onlyWhitespace(raw, rest, lineEnd)) {
                        if (partStart >= 0) {
                            int partEnd = i;
                            // the line break before the delimiter belongs to the delimiter
                            if (partEnd > partStart && raw[partEnd - 1] == '\n') {
                                partEnd--;
                                if (partEnd > partStart && raw[partEnd - 1] == '\r') {
                                    partEnd--;
                                }
                            }
                            part(raw, partStart, partEnd, depth, digest);
                            count++;
                        }
                        if (close) {
                            closed = true;
                            break;
                        }
                        partStart = next;
                    }
                }
                i = next;
            }
            if (!closed) {
                if (partStart >= 0 && partStart < end) {
                    part(raw, partStart, end, depth, digest);
                    count++;
                }
                Transfer.add(defects, "missing closing boundary");
            }
            if (count == 0) {
                Transfer.add(defects, "multipart without parts");
            }
        }

        private void part(byte[] raw, int start, int end, int depth, boolean digest) {
            Entity p = entity(raw, start, end, false);
            walk(p, depth + 1, digest);
        }

        private void leaf(
                Entity e,
                String mime,
                EncodedWords.Structured type,
                EncodedWords.Structured disposition) {
            String name = filename(type, disposition);
            boolean attachment =
                    disposition.value().equals("attachment")
                            || !name.isEmpty()
                            || !mime.startsWith("text/");
            if (attachment) {
                attachments.add(new ParsedMessage.Attachment(name, mime));
                return;
            }
            if (text.length() >= MAX_TEXT) {
                return;
            }
            String charset = type.params().get("charset");
            String decoded;
            if (identity(e)) {
                decoded = Charsets.decode(e.buffer, e.bodyStart, e.bodyEnd - e.bodyStart, charset);
            } else {
                byte[] body = decoded(e);
                decoded = Charsets.decode(body, 0, body.length, charset);
            }
            if (text.length() > 0) {
                text.append("\n\n");
            }
            int before = text.length();
            if (mime.equals("text/html")) {
                Html.toText(decoded, text, hosts);
            } else {
                text.append(decoded);
            }
            if (text.length() > MAX_TEXT) {
                text.setLength(MAX_TEXT);
            }
            Urls.scan(text.subSequence(before, text.length()), hosts);
        }

        /** Whether the body is its own decoding (no transfer encoding, or an unknown one). */
        private boolean identity(Entity e) {
            return switch (transferEncoding(e)) {
                case "base64", "quoted-printable" -> false;
                case "", "7bit", "8bit", "binary" -> true;
                default -> {
                    Transfer.add(defects, "unknown transfer encoding");
                    yield true;
                }
            };
        }

        private static String transferEncoding(Entity e) {
            String cte = e.transferEncoding;
            int paren = cte.indexOf('(');
            return paren >= 0 ? cte.substring(0, paren).trim() : cte;
        }

        private byte[] decoded(Entity e) {
            byte[] raw = e.buffer;
            int len = e.bodyEnd - e.bodyStart;
            String cte = transferEncoding(e);
            return switch (cte) {
                case "base64" -> Transfer.base64(raw, e.bodyStart, len, defects);
                case "quoted-printable" -> Transfer.quotedPrintable(raw, e.bodyStart, len, defects);
                case "", "7bit", "8bit", "binary" ->
                        java.util.Arrays.copyOfRange(raw, e.bodyStart, e.bodyEnd);
                default -> {
                    Transfer.add(defects, "unknown transfer encoding");
                    yield java.util.Arrays.copyOfRange(raw, e.bodyStart, e.bodyEnd);
                }
            };
        }
    }

    private static String filename(
            EncodedWords.Structured type, EncodedWords.Structured disposition) {
        String name = disposition.params().get("filename");
        if (name == null || name.isEmpty()) {
            name = type.params().get("name");
        }
        if (name == null) {
            return "";
        }
        return EncodedWords.decode(name).trim();
    }

    private static boolean fieldName(byte[] b, int from, int to) {
        int end = to;
        while (end > from && (b[end - 1] == ' ' || b[end - 1] == '\t')) {
            end--; // "Subject : x" is obsolete syntax but still seen
        }
        if (end == from) {
            return false;
        }
        for (int i = from; i < end; i++) {
            if (b[i] <= 32 || b[i] >= 127) {
                return false;
            }
        }
        return true;
    }

    private static String string(byte[] b, int from, int to) {
        if (Charsets.ascii(b, from, to - from)) {
            return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
        }
        return Charsets.guess(
                b, from, to - from); // RFC 6532 UTF-8 headers, or raw 8-bit legacy text
    }

    private static int indexOf(byte[] b, byte target, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == target) {
                return i;
            }
        }
        return -1;
    }

    private static boolean startsWith(byte[] b, int at, byte[] prefix) {
        if (at + prefix.length > b.length) {
            return false;
        }
        for (int k = 0; k < prefix.length; k++) {
            if (b[at + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    private static boolean onlyWhitespace(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
                return false;
            }
        }
        return true;
    }
}
