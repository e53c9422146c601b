package dev.bulwark.check.mime;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A lenient MIME parser for content rules. It walks nested multiparts and attached messages,
 * decodes only what rules look at (text parts, header words, file names, zip archives' entry lists)
 * and never throws on malformed input: whatever cannot be parsed is recorded in {@link
 * ParsedMessage#defects()} and the rest is still evaluated. Lines may end in CRLF or LF.
 *
 * <p>Every entity, nested messages included, is a window (offset, length) into the one message
 * buffer: bodies are never copied, only decoded (base64, quoted-printable) where rules need their
 * content. What a parse may cost is a {@link MessageBudget}; where one runs out the parser stops
 * spending, keeps what it parsed and reports it ({@link ParsedMessage#budgetExceeded()}). Work and
 * memory are linear in the octets parsed: each is looked at a bounded number of times per level of
 * nesting.
 *
 * <p>Stateless and thread-safe.
 */
public final class MimeParser {

    /** Decoded parameter values (file names) are kept to this many characters. */
    static final int MAX_PARAMETER = 1024;

    private MimeParser() {}

    /** Parses a whole message with the default budget ({@link MessageBudget#defaults()}). */
    public static ParsedMessage parse(byte[] raw) {
        return parse(raw, raw.length, MessageBudget.defaults());
    }

    /**
     * Parses the first {@code min(buffer.length, budget.bytes())} octets of a message of {@code
     * messageSize} octets, held in {@code buffer}; when they are not the whole message the bytes
     * budget is reported exceeded.
     */
    public static ParsedMessage parse(byte[] buffer, long messageSize, MessageBudget budget) {
        return parse(buffer, messageSize, budget, new Work());
    }

    /** As above, counting the octets and characters examined in {@code work}. */
    static ParsedMessage parse(byte[] buffer, long messageSize, MessageBudget budget, Work work) {
        int length = (int) Math.min(buffer.length, budget.bytes());
        Context ctx = new Context(budget, work);
        if (messageSize > length) {
            ctx.spend.exceed(MessageBudget.Kind.BYTES);
        }
        Entity top = ctx.entity(buffer, 0, length, true);
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
                ctx.defects,
                new ArrayList<>(ctx.spend.exceeded));
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
        final Spend spend;
        final MessageBudget budget;
        final Work work;
        int parts;
        boolean stopped;

        Context(MessageBudget budget, Work work) {
            this.budget = budget;
            this.work = work;
            this.spend = new Spend(budget, work, defects);
        }

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
                work.add(next - i);
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
                e.headers.add(new ParsedMessage.Header(name, EncodedWords.decode(v, work)));
            }
        }

        /** Walks an entity: multipart, attached message, or a leaf. */
        void walk(Entity e, int depth, boolean digest) {
            if (stopped) {
                return;
            }
            if (++parts > budget.parts()) {
                spend.exceed(MessageBudget.Kind.PARTS);
                stopped = true;
                return;
            }
            EncodedWords.Structured type =
                    e.contentType.isEmpty()
                            ? new EncodedWords.Structured(
                                    digest ? "message/rfc822" : "text/plain", Map.of())
                            : EncodedWords.structured(e.contentType);
            work.add(e.contentType.length() + e.disposition.length());
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
                if (depth >= budget.depth()) {
                    spend.exceed(MessageBudget.Kind.DEPTH);
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
                if (depth >= budget.depth()) {
                    spend.exceed(MessageBudget.Kind.DEPTH);
                    return;
                }
                // The attached message is a window into its parent's buffer: no copy. Only an
                // attached message sent encoded (against RFC 2046, but seen) is decoded into a
                // buffer of its own, which lives while it is walked.
                Entity inner;
                if (identity(e)) {
                    inner = entity(e.buffer, e.bodyStart, e.bodyEnd, false);
                } else {
                    byte[] body = decoded(e, Integer.MAX_VALUE);
                    inner = entity(body, 0, body.length, false);
                }
                walk(inner, depth + 1, false);
                return;
            }
            leaf(e, mime, type, disposition);
        }

        private void multipart(Entity e, String boundary, int depth, boolean digest) {
            byte[] raw = e.buffer;
            byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
            int i = e.bodyStart;
            int end = e.bodyEnd;
            int partStart = -1;
            boolean closed = false;
            int count = 0;
            while (i < end && !stopped) {
                int eol = indexOf(raw, (byte) '\n', i, end);
                int lineEnd = eol < 0 ? end : eol;
                int next = eol < 0 ? end : eol + 1;
                work.add(next - i);
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
            if (stopped) {
                return;
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
                archive(e, mime, name);
                return;
            }
            int separator = text.length() > 0 ? 2 : 0;
            int room = budget.text() - text.length() - separator;
            if (room <= 0) {
                if (e.bodyEnd > e.bodyStart) {
                    spend.exceed(MessageBudget.Kind.TEXT);
                }
                return;
            }
            // A charset gives at most one character per octet, so 4 octets per character left is
            // more than enough, even for HTML whose tags go.
            int wanted = (int) Math.min(Integer.MAX_VALUE - 8, 4L * room);
            String charset = type.params().get("charset");
            String decoded;
            boolean cut;
            if (identity(e)) {
                int len = Math.min(e.bodyEnd - e.bodyStart, wanted);
                cut = len < e.bodyEnd - e.bodyStart;
                decoded = Charsets.decode(e.buffer, e.bodyStart, len, charset);
                work.add(len);
            } else {
                Transfer.Decoded d = decode(e, wanted);
                byte[] body = d.bytes();
                // cut for want of room for text (the decoded budget reports itself)
                cut = !d.complete() && body.length >= wanted;
                decoded = Charsets.decode(body, 0, body.length, charset);
                work.add(body.length);
            }
            text.append(separator > 0 ? "\n\n" : "");
            int start = text.length();
            if (mime.equals("text/html")) {
                Html.toText(decoded, text, hosts);
            } else {
                text.append(decoded);
            }
            work.add(decoded.length());
            if (text.length() > budget.text() || cut) {
                if (text.length() > budget.text()) {
                    text.setLength(budget.text());
                }
                spend.exceed(MessageBudget.Kind.TEXT);
            }
            int scanFrom = Math.min(start, text.length());
            Urls.scan(text.subSequence(scanFrom, text.length()), hosts);
            work.add(text.length() - scanFrom);
        }

        /**
         * Lists the entries of a zip archive attached: one declared as a zip, named {@code .zip},
         * or whose first decoded octets are a zip's.
         */
        private void archive(Entity e, String mime, String name) {
            boolean declared =
                    mime.equals("application/zip")
                            || mime.equals("application/x-zip-compressed")
                            || mime.equals("application/x-zip")
                            || name.toLowerCase(Locale.ROOT).endsWith(".zip");
            if (!declared) {
                byte[] head = identity(e) ? null : decodedPrefix(e, 4);
                boolean zip =
                        head == null
                                ? Zip.looksLikeZip(e.buffer, e.bodyStart, e.bodyEnd - e.bodyStart)
                                : Zip.looksLikeZip(head, 0, head.length);
                if (!zip) {
                    return;
                }
            }
            String path = name.isEmpty() ? "(unnamed " + mime + ")" : name;
            if (identity(e)) {
                Zip.list(
                        e.buffer,
                        e.bodyStart,
                        e.bodyEnd - e.bodyStart,
                        path,
                        1,
                        spend,
                        attachments);
                return;
            }
            int left = spend.decodedLeft();
            if (left == 0) {
                spend.exceed(MessageBudget.Kind.DECODED);
                return;
            }
            byte[] body = decoded(e, left);
            // A cut-off archive has no central directory: its local headers are still read.
            Zip.list(body, 0, body.length, path, 1, spend, attachments);
        }

        /** The first {@code n} decoded octets of a body, without decoding the rest. */
        private byte[] decodedPrefix(Entity e, int n) {
            int len = e.bodyEnd - e.bodyStart;
            return switch (transferEncoding(e)) {
                case "base64" -> Transfer.base64(e.buffer, e.bodyStart, len, null, n).bytes();
                case "quoted-printable" ->
                        Transfer.quotedPrintable(e.buffer, e.bodyStart, len, null, n).bytes();
                default -> null;
            };
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

        /**
         * Decodes a base64 or quoted-printable body, at most {@code wanted} octets and no more than
         * the decoded budget has left (which, if it runs out first, is reported exceeded).
         */
        private byte[] decoded(Entity e, int wanted) {
            return decode(e, wanted).bytes();
        }

        private Transfer.Decoded decode(Entity e, int wanted) {
            int left = spend.decodedLeft();
            int limit = Math.min(wanted, left);
            int len = e.bodyEnd - e.bodyStart;
            Transfer.Decoded d =
                    transferEncoding(e).equals("base64")
                            ? Transfer.base64(e.buffer, e.bodyStart, len, defects, limit)
                            : Transfer.quotedPrintable(e.buffer, e.bodyStart, len, defects, limit);
            work.add(len);
            spend.decoded(d.bytes().length);
            if (!d.complete() && limit == left && left < wanted) {
                spend.exceed(MessageBudget.Kind.DECODED);
            }
            return d;
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
        return capped(EncodedWords.decode(name).trim(), MAX_PARAMETER);
    }

    /**
     * A name of at most {@code max} characters: a longer one keeps its first quarter and its end,
     * where the extension is, so that no padding hides {@code .exe} from the rules.
     */
    static String capped(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int head = max / 4;
        return s.substring(0, head) + s.substring(s.length() - (max - head));
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
