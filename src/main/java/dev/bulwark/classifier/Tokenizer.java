package dev.bulwark.classifier;

import dev.bulwark.check.mime.ParsedMessage;

import java.util.List;
import java.util.Set;

/**
 * Turns one message into the tokens the model weighs (src/docs/classifier.md lists them): words of
 * the decoded text and the subject, chosen header facts, URL hosts, attachments and the MIME
 * structure. Each token is a short lower-case string whose prefix says where it came from ({@code
 * subject:}, {@code from:domain:} ...; body words have none), handed to a {@link Sink} as
 * characters, so the scoring path hashes tokens without building strings.
 *
 * <p>Bounded: the first {@link #TEXT_CHARS} characters of decoded text are read, the first {@link
 * #RAW_BYTES} bytes of the raw message are scanned for MIME part headers, every token is at most
 * {@link #MAX_TOKEN} characters, and a sink takes at most {@link #MAX_TOKENS} distinct tokens.
 *
 * <p>The tokens are part of the model format: a change here that changes any token of any message
 * must bump {@link ModelFormat#FEATURES}.
 */
final class Tokenizer {

    /** Decoded text read per message, in chars. */
    static final int TEXT_CHARS = 64 * 1024;

    /** Raw bytes scanned for part headers (content types, charsets, transfer encodings). */
    static final int RAW_BYTES = 256 * 1024;

    /** Distinct tokens taken per message; the rest are ignored. */
    static final int MAX_TOKENS = 4096;

    /** Words longer than this become a {@code skip:} token. */
    static final int MAX_WORD = 20;

    /** Words shorter than this are ignored. */
    static final int MIN_WORD = 3;

    /** Longest token, prefix included: longer header values are cut. */
    static final int MAX_TOKEN = 64;

    /**
     * Receives tokens: {@code chars[0, length)}, lower case, and their {@link TokenHashes#hash}.
     */
    interface Sink {
        void token(char[] chars, int length, long hash);

        /** True once the sink takes no more tokens. */
        boolean full();
    }

    /**
     * Header fields whose presence is a token ({@code header:NAME}): fields the sender's software
     * writes. Fields a receiving site adds (Received, Delivered-To, Return-Path, X-Spam-*, mailbox
     * flags) describe the corpus's delivery path, not the mail, and are left out.
     */
    private static final Set<String> PRESENCE =
            Set.of(
                    "cc",
                    "content-class",
                    "disposition-notification-to",
                    "errors-to",
                    "importance",
                    "in-reply-to",
                    "list-archive",
                    "list-help",
                    "list-id",
                    "list-owner",
                    "list-post",
                    "list-subscribe",
                    "list-unsubscribe",
                    "mailing-list",
                    "mime-version",
                    "organization",
                    "precedence",
                    "priority",
                    "references",
                    "reply-to",
                    "return-receipt-to",
                    "sender",
                    "thread-index",
                    "thread-topic",
                    "user-agent",
                    "x-accept-language",
                    "x-beenthere",
                    "x-face",
                    "x-loop",
                    "x-mailer",
                    "x-mailman-version",
                    "x-mimeole",
                    "x-msmail-priority",
                    "x-originating-ip",
                    "x-priority",
                    "x-sender");

    private final Sink sink;
    private final char[] buf = new char[MAX_TOKEN];

    private Tokenizer(Sink sink) {
        this.sink = sink;
    }

    /** Every token of the message, each once per call at most if the sink de-duplicates. */
    static void tokens(byte[] raw, ParsedMessage parsed, Sink sink) {
        Tokenizer t = new Tokenizer(sink);
        t.headers(parsed);
        t.structure(raw);
        t.defects(parsed.defects());
        t.attachments(parsed.attachments());
        t.urls(parsed.urlHosts());
        t.text(parsed.text());
    }

    // ---- headers

    private void headers(ParsedMessage m) {
        boolean messageId = false;
        boolean date = false;
        boolean to = false;
        boolean subject = false;
        boolean mimeVersion = false;
        boolean contentType = false;
        String from = null;
        String replyTo = null;
        String mailer = null;
        int recipients = 0;
        for (ParsedMessage.Header h : m.headers()) {
            String name = known(h.name());
            if (name == null) {
                continue;
            }
            if (PRESENCE.contains(name)) {
                emit("header:", name);
            }
            switch (name) {
                case "message-id" -> messageId = true;
                case "date" -> date = true;
                case "subject" -> subject = true;
                case "mime-version" -> mimeVersion = true;
                case "content-type" -> contentType = true;
                case "to", "cc" -> {
                    to |= name.equals("to");
                    recipients += addresses(h.value());
                    if (containsIgnoreCase(h.value(), "undisclosed")) {
                        emit("to:", "undisclosed");
                    }
                }
                case "from" -> from = from == null ? h.value() : from;
                case "reply-to" -> replyTo = replyTo == null ? h.value() : replyTo;
                case "x-mailer", "user-agent" -> mailer = mailer == null ? h.value() : mailer;
                default -> {}
            }
        }
        if (!messageId) {
            emit("missing:", "message-id");
        }
        if (!date) {
            emit("missing:", "date");
        }
        if (!to) {
            emit("missing:", "to");
        }
        if (!subject) {
            emit("missing:", "subject");
        }
        if (contentType && !mimeVersion) {
            emit("quirk:", "content-type-without-mime-version");
        }
        emit("recipients:", bucket(recipients));
        words("subject:", m.subject(), 0, m.subject().length());
        String subjectText = m.subject();
        if (upperCaseShouting(subjectText)) {
            emit("subject:", "shouting");
        }
        String fromDomain = null;
        if (from == null) {
            emit("missing:", "from");
        } else {
            String address = address(from);
            String display = displayName(from, address);
            fromDomain = domain(address);
            if (fromDomain == null) {
                emit("from:", "no-domain");
            } else {
                emit("from:domain:", fromDomain);
                int dot = fromDomain.lastIndexOf('.');
                emit("from:tld:", dot < 0 ? fromDomain : fromDomain.substring(dot + 1));
            }
            if (display.isEmpty()) {
                emit("from:", "no-name");
            } else {
                if (display.indexOf('@') >= 0) {
                    emit("from:", "name-has-at");
                }
                words("from:name:", display, 0, display.length());
            }
            int at = address.indexOf('@');
            if (digits(address, 0, at < 0 ? address.length() : at) >= 3) {
                emit("from:", "local-digits");
            }
        }
        if (replyTo != null) {
            String d = domain(address(replyTo));
            if (d != null) {
                emit("reply-to:domain:", d);
                if (fromDomain != null && !d.equals(fromDomain)) {
                    emit("reply-to:", "differs");
                }
            }
        }
        if (mailer != null) {
            mailer(mailer);
        }
    }

    /** Up to three words of X-Mailer or User-Agent, without version numbers. */
    private void mailer(String value) {
        int n = 0;
        int i = 0;
        int len = Math.min(value.length(), 200);
        while (i < len && n < 3) {
            while (i < len && !Character.isLetter(value.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < len && Character.isLetter(value.charAt(i))) {
                i++;
            }
            if (i - start >= 2) {
                emit("mailer:", value, start, i);
                n++;
            }
        }
    }

    // ---- structure from the raw message: part headers and header-block quirks

    private void structure(byte[] raw) {
        int end = Math.min(raw.length, RAW_BYTES);
        // the top header block: 8-bit octets (RFC 6532 or raw legacy text) and an encoded subject
        int i = 0;
        boolean eightBit = false;
        while (i < end) {
            int lineEnd = lineFeed(raw, i, end);
            eightBit |= !allAscii(raw, i, lineEnd);
            int contentEnd = lineEnd > i && raw[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            if (contentEnd == i) {
                break;
            }
            if ((raw[i] == 'S' || raw[i] == 's')
                    && startsWithIgnoreCase(raw, i, contentEnd, "subject:")
                    && contains(raw, i, contentEnd, "=?")) {
                emit("subject:", "encoded");
            }
            i = lineEnd + 1;
        }
        if (eightBit) {
            emit("header:", "8bit");
        }
        // every Content-Type and Content-Transfer-Encoding line, top level and parts alike
        int parts = 0;
        StringBuilder shape = new StringBuilder(48);
        int k = 0; // from the top: the top-level Content-Type is one of them
        while (k < end) {
            int lineEnd = lineFeed(raw, k, end);
            byte first = raw[k];
            if (first == 'C' || first == 'c') {
                int contentEnd = lineEnd > k && raw[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
                if (startsWithIgnoreCase(raw, k, contentEnd, "content-type:")) {
                    // the value may go on in folded lines: read to the next unfolded line
                    String value = ascii(raw, k + 13, unfolded(raw, lineEnd, end));
                    String type = typeOf(value);
                    if (!type.isEmpty()) {
                        emit("ct:", type);
                        if (parts < 6) {
                            if (parts > 0) {
                                shape.append(',');
                            }
                            shape.append(type);
                        }
                        parts++;
                    }
                    String charset = parameter(value, "charset");
                    if (charset != null) {
                        emit("charset:", charset);
                    }
                } else if (startsWithIgnoreCase(raw, k, contentEnd, "content-transfer-encoding:")) {
                    emit("cte:", ascii(raw, k + 26, contentEnd).trim());
                }
            }
            k = lineEnd + 1;
        }
        emit("parts:", bucket(parts));
        if (shape.length() > 0) {
            emit("shape:", shape, 0, shape.length());
        }
    }

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
                    long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    /**
     * The index of the first LF in {@code b[from, end)}, or {@code end}: eight bytes a step (the
     * classic has-zero-byte test on the bytes XOR LF), since scanning the raw message byte by byte
     * was a tenth of the classifier's time.
     */
    static int lineFeed(byte[] b, int from, int end) {
        int i = from;
        for (; i + 8 <= end; i += 8) {
            long x = (long) LONGS.get(b, i) ^ (ONES * '\n');
            long found = (x - ONES) & ~x & HIGHS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        while (i < end && b[i] != '\n') {
            i++;
        }
        return i;
    }

    /** True when {@code b[from, to)} has no octet above 127. */
    private static boolean allAscii(byte[] b, int from, int to) {
        int i = from;
        long or = 0;
        for (; i + 8 <= to; i += 8) {
            or |= (long) LONGS.get(b, i);
        }
        for (; i < to; i++) {
            or |= b[i];
        }
        return (or & HIGHS) == 0;
    }

    private static int unfolded(byte[] raw, int lineEnd, int end) {
        int e = lineEnd;
        while (e + 1 < end && (raw[e + 1] == ' ' || raw[e + 1] == '\t') && e - lineEnd < 1000) {
            int next = e + 1;
            while (next < end && raw[next] != '\n') {
                next++;
            }
            e = next;
        }
        return e;
    }

    /** The lower-case {@code type/subtype} of a Content-Type value, or empty. */
    private static String typeOf(String value) {
        int semi = value.indexOf(';');
        String t = (semi < 0 ? value : value.substring(0, semi)).trim();
        if (t.indexOf('/') <= 0 || t.length() > 40) {
            return "";
        }
        return t.toLowerCase(java.util.Locale.ROOT);
    }

    /** A parameter's value, lower case, without quotes; null when absent. */
    private static String parameter(String value, String name) {
        String lower = value.toLowerCase(java.util.Locale.ROOT);
        int i = lower.indexOf(name + "=");
        while (i > 0 && Character.isLetterOrDigit(lower.charAt(i - 1))) {
            i = lower.indexOf(name + "=", i + 1);
        }
        if (i < 0) {
            return null;
        }
        int start = i + name.length() + 1;
        while (start < lower.length()
                && (lower.charAt(start) == '"' || lower.charAt(start) == ' ')) {
            start++;
        }
        int end = start;
        while (end < lower.length()
                && lower.charAt(end) != '"'
                && lower.charAt(end) != ';'
                && lower.charAt(end) > ' ') {
            end++;
        }
        return end > start ? lower.substring(start, end) : null;
    }

    private void defects(List<String> defects) {
        for (String d : defects) {
            emit("defect:", d);
        }
    }

    private void attachments(List<ParsedMessage.Attachment> attachments) {
        emit("attachments:", bucket(attachments.size()));
        for (ParsedMessage.Attachment a : attachments) {
            emit("att:type:", a.contentType());
            String ext = a.extension();
            if (!ext.isEmpty()) {
                emit("att:ext:", ext);
            }
            String name = a.filename();
            int dot = name.lastIndexOf('.');
            words("att:name:", name, 0, dot < 0 ? name.length() : dot);
        }
    }

    private void urls(List<String> hosts) {
        emit("urls:", bucket(hosts.size()));
        for (String host : hosts) {
            if (sink.full()) {
                return;
            }
            if (isIpLiteral(host)) {
                emit("url:", "ip");
                continue;
            }
            emit("url:host:", host);
            String d = registered(host);
            if (!d.equals(host)) {
                emit("url:domain:", d);
            }
        }
    }

    // ---- text

    private void text(String text) {
        int len = Math.min(text.length(), TEXT_CHARS);
        if (len == 0) {
            emit("text:", "none");
            return;
        }
        emit("text:length:", Integer.toString(32 - Integer.numberOfLeadingZeros(text.length())));
        // One pass per word: lower-casing, hashing and trimming together, over a char array and
        // with table look-ups for ASCII. This is most of the classifier's cost per message, so it
        // does what word() does without a second look; word() takes the rare words it cannot.
        char[] chars = new char[len];
        text.getChars(0, len, chars, 0);
        int i = 0;
        while (i < len && !sink.full()) {
            char c = chars[i];
            if (c < 128 ? (ASCII[c] & (SPACE | LEADING)) != 0 : whitespace(c)) {
                i++;
                continue;
            }
            int start = i;
            long h = TokenHashes.start();
            long kept = h;
            int n = 0;
            int keptLength = 0;
            int seen = 0; // SPECIAL: an '@' or '/', for word()
            for (; i < len; i++) {
                c = chars[i];
                char l;
                int k;
                if (c < 128) {
                    k = ASCII[c];
                    if ((k & SPACE) != 0) {
                        break;
                    }
                    l = (k & UPPER) != 0 ? (char) (c + 32) : c;
                } else {
                    if (whitespace(c)) {
                        break;
                    }
                    k = 0;
                    l = Character.toLowerCase(c);
                }
                if (n == MAX_WORD + 1) {
                    // too long for a word token: word() makes a skip: token of it; just find
                    // its end (for texts without spaces, such as Chinese, that is most chars)
                    while (i < len
                            && (chars[i] < 128
                                    ? (ASCII[chars[i]] & SPACE) == 0
                                    : !whitespace(chars[i]))) {
                        seen |= chars[i] < 128 ? ASCII[chars[i]] : 0;
                        i++;
                    }
                    keptLength = n;
                    break;
                }
                buf[n] = l;
                n++;
                h = TokenHashes.step(h, l);
                if ((k & TRAILING) == 0) {
                    kept = h;
                    keptLength = n;
                }
                seen |= k;
            }
            if (keptLength < MIN_WORD) {
                continue;
            }
            if ((seen & SPECIAL) != 0
                    || keptLength > MAX_WORD
                    || (keptLength > 4 && buf[0] == 'w' && buf[1] == 'w' && buf[3] == '.')) {
                word("", text, start, i);
            } else {
                sink.token(buf, keptLength, TokenHashes.mix(kept));
            }
        }
    }

    /** Every word of {@code s[from, to)}, split at whitespace. */
    private void words(String prefix, CharSequence s, int from, int to) {
        int i = from;
        while (i < to) {
            while (i < to && (whitespace(s.charAt(i)) || separator(s.charAt(i)))) {
                i++;
            }
            int start = i;
            while (i < to && !whitespace(s.charAt(i)) && !separator(s.charAt(i))) {
                i++;
            }
            if (i > start) {
                word(prefix, s, start, i);
            }
        }
    }

    /** One whitespace-delimited word: trimmed of quotes and brackets, classified, emitted. */
    private void word(String prefix, CharSequence s, int from, int to) {
        int start = from;
        int end = to;
        while (start < end && leading(s.charAt(start))) {
            start++;
        }
        while (end > start && trailing(s.charAt(end - 1))) {
            end--;
        }
        int n = end - start;
        if (n < MIN_WORD) {
            return;
        }
        int at = -1;
        boolean dotAfterAt = false;
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c == '@') {
                at = i;
            } else if (c == '.' && at >= 0) {
                dotAfterAt = true;
            } else if (c == ':'
                    && i + 2 < end
                    && s.charAt(i + 1) == '/'
                    && s.charAt(i + 2) == '/') {
                return; // a URL: the parser reports its host, the rest of a URL is noise
            }
        }
        if (n > 4
                && lower(s.charAt(start)) == 'w'
                && lower(s.charAt(start + 1)) == 'w'
                && lower(s.charAt(start + 2)) == 'w'
                && s.charAt(start + 3) == '.') {
            return;
        }
        if (at > start && at < end - 3 && dotAfterAt) {
            emit("email:", s, at + 1, end);
            return;
        }
        if (n > MAX_WORD) {
            // SpamBayes' trick: a long run says something by its first letter and length
            char first = lower(s.charAt(start));
            emit("skip:", first + ":" + (n / 10 * 10));
            return;
        }
        emit(prefix, s, start, end);
    }

    // ---- emitting

    private void emit(String prefix, String value) {
        emit(prefix, value, 0, value.length());
    }

    /** Emits {@code prefix + lower(s[from, to))}, cut at {@link #MAX_TOKEN} chars. */
    private void emit(String prefix, CharSequence s, int from, int to) {
        if (sink.full()) {
            return;
        }
        long h = TokenHashes.start();
        int n = 0;
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            buf[n++] = c;
            h = TokenHashes.step(h, c);
        }
        for (int i = from; i < to && n < MAX_TOKEN; i++) {
            char c = lower(s.charAt(i));
            buf[n++] = c;
            h = TokenHashes.step(h, c);
        }
        sink.token(buf, n, TokenHashes.mix(h));
    }

    /** Header names the tokenizer looks at, lower case. */
    private static final String[] KNOWN;

    static {
        java.util.TreeSet<String> names = new java.util.TreeSet<>(PRESENCE);
        names.addAll(
                List.of(
                        "message-id",
                        "date",
                        "subject",
                        "mime-version",
                        "content-type",
                        "to",
                        "cc",
                        "from",
                        "reply-to",
                        "x-mailer",
                        "user-agent"));
        KNOWN = new String[256];
        for (String n : names) {
            int i = nameHash(n) & (KNOWN.length - 1);
            while (KNOWN[i] != null) {
                i = (i + 1) & (KNOWN.length - 1);
            }
            KNOWN[i] = n;
        }
    }

    /** The lower-case form of a header name the tokenizer looks at, or null; no allocation. */
    static String known(String name) {
        int i = nameHash(name) & (KNOWN.length - 1);
        while (KNOWN[i] != null) {
            if (KNOWN[i].equalsIgnoreCase(name)) {
                return KNOWN[i];
            }
            i = (i + 1) & (KNOWN.length - 1);
        }
        return null;
    }

    private static int nameHash(String name) {
        int h = 0;
        for (int i = 0; i < name.length(); i++) {
            h = 31 * h + lower(name.charAt(i));
        }
        return h ^ (h >>> 16);
    }

    private static boolean containsIgnoreCase(String s, String lowerNeedle) {
        for (int i = 0; i + lowerNeedle.length() <= s.length(); i++) {
            if (s.regionMatches(true, i, lowerNeedle, 0, lowerNeedle.length())) {
                return true;
            }
        }
        return false;
    }

    // ---- small helpers

    static char lower(char c) {
        if (c < 128) {
            return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
        }
        return Character.toLowerCase(c);
    }

    private static boolean whitespace(char c) {
        return c <= ' ' || (c >= 128 && (Character.isWhitespace(c) || c == '\u00a0'));
    }

    /** Splits subject, display name and file name words, which punctuation often joins. */
    private static boolean separator(char c) {
        return c == ',' || c == ';' || c == ':' || c == '"' || c == '(' || c == ')' || c == '['
                || c == ']' || c == '<' || c == '>' || c == '_' || c == '/' || c == '|';
    }

    private static final int SPACE = 1;
    private static final int LEADING = 2;
    private static final int TRAILING = 4;
    private static final int SPECIAL = 8;
    private static final int UPPER = 16;

    /** What each ASCII char is to the word splitter. */
    private static final int[] ASCII = new int[128];

    static {
        for (char c = 0; c <= ' '; c++) {
            ASCII[c] |= SPACE;
        }
        for (char c : "\"'([{<*`".toCharArray()) {
            ASCII[c] |= LEADING;
        }
        for (char c : "\"')]}>.,;:*`".toCharArray()) {
            ASCII[c] |= TRAILING;
        }
        ASCII['@'] |= SPECIAL;
        ASCII['/'] |= SPECIAL;
        for (char c = 'A'; c <= 'Z'; c++) {
            ASCII[c] |= UPPER;
        }
    }

    private static boolean leading(char c) {
        return c < 128 && (ASCII[c] & LEADING) != 0;
    }

    private static boolean trailing(char c) {
        return c < 128 && (ASCII[c] & TRAILING) != 0;
    }

    private static int digits(String s, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                n++;
            }
        }
        return n;
    }

    /** At least six letters, and no lower-case one. */
    private static boolean upperCaseShouting(String s) {
        int letters = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isLetter(c)) {
                if (Character.isLowerCase(c)) {
                    return false;
                }
                letters++;
            }
        }
        return letters >= 6;
    }

    /** "0", "1", "2-3", "4-7", "8-15", "16+". */
    static String bucket(int n) {
        if (n <= 1) {
            return Integer.toString(Math.max(n, 0));
        }
        if (n >= 16) {
            return "16+";
        }
        int low = Integer.highestOneBit(n);
        return low + "-" + (2 * low - 1);
    }

    /** How many addresses a To or Cc value names: its {@code @} signs. */
    private static int addresses(String value) {
        int n = 0;
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) == '@') {
                n++;
            }
        }
        return n;
    }

    /** The address of a From-like value: inside the last {@code <>}, else the word with an @. */
    static String address(String value) {
        int close = value.lastIndexOf('>');
        int open = close < 0 ? -1 : value.lastIndexOf('<', close);
        if (open >= 0) {
            return value.substring(open + 1, close).trim();
        }
        int at = value.indexOf('@');
        if (at < 0) {
            return value.trim();
        }
        int start = at;
        while (start > 0
                && !whitespace(value.charAt(start - 1))
                && value.charAt(start - 1) != '(') {
            start--;
        }
        int end = at;
        while (end < value.length() && !whitespace(value.charAt(end)) && value.charAt(end) != ')') {
            end++;
        }
        return value.substring(start, end);
    }

    /** The display name: the value without the address, quotes and comment parentheses. */
    static String displayName(String value, String address) {
        String rest = value;
        int close = value.lastIndexOf('>');
        int open = close < 0 ? -1 : value.lastIndexOf('<', close);
        if (open >= 0) {
            rest = value.substring(0, open) + value.substring(close + 1);
        } else if (!address.isEmpty()) {
            int at = value.indexOf(address);
            if (at >= 0) {
                rest = value.substring(0, at) + value.substring(at + address.length());
            }
        }
        StringBuilder b = new StringBuilder(rest.length());
        for (int i = 0; i < rest.length(); i++) {
            char c = rest.charAt(i);
            if (c != '"' && c != '(' && c != ')') {
                b.append(c);
            }
        }
        return b.toString().trim();
    }

    /** The lower-case domain of an address, or null. */
    static String domain(String address) {
        int at = address.lastIndexOf('@');
        if (at < 0 || at == address.length() - 1) {
            return null;
        }
        String d = address.substring(at + 1).trim();
        while (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        return d.isEmpty() ? null : d.toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The last two labels of a host, or three when the second-level label is short (co.uk, com.au):
     * an approximation of the registered domain that needs no public suffix list.
     */
    static String registered(String host) {
        int last = host.lastIndexOf('.');
        if (last <= 0) {
            return host;
        }
        int second = host.lastIndexOf('.', last - 1);
        if (second < 0) {
            return host;
        }
        if (last - second - 1 <= 3 && host.length() - last - 1 == 2) {
            int third = host.lastIndexOf('.', second - 1);
            return third < 0 ? host : host.substring(third + 1);
        }
        return host.substring(second + 1);
    }

    private static boolean isIpLiteral(String host) {
        if (host.startsWith("[")) {
            return true;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c != '.' && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }

    private static boolean startsWithIgnoreCase(byte[] b, int from, int to, String prefix) {
        if (to - from < prefix.length()) {
            return false;
        }
        for (int k = 0; k < prefix.length(); k++) {
            int c = b[from + k];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != prefix.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(byte[] b, int from, int to, String needle) {
        outer:
        for (int i = from; i + needle.length() <= to; i++) {
            for (int k = 0; k < needle.length(); k++) {
                if (b[i + k] != needle.charAt(k)) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static String ascii(byte[] b, int from, int to) {
        int end = Math.min(to, from + 512);
        if (end <= from) {
            return "";
        }
        return new String(b, from, end - from, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
