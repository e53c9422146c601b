package dev.bulwark.flow;

import dev.bulwark.check.Message;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What the relay needs from a message's header block: where the Subject's value starts (to insert a
 * tag prefix without touching anything else), the Message-ID (for the audit log), how many hops the
 * message has made, and where the fields are that only the relay may write.
 *
 * @param subjectValueOffset offset of the first octet of the first Subject field's value, after
 *     leading white space; -1 if there is no Subject field
 * @param messageId the unfolded Message-ID value
 * @param received the number of {@code Received} fields (hops so far)
 * @param ours the fields whose name starts with {@code X-Bulwark} (any case), each with its
 *     continuation lines, in order: the relay's own trace headers, which a client must not be able
 *     to forge, so they are left out when the message is relayed
 * @param authenticationResults every Authentication-Results field, where it is and its value (the
 *     relay removes those that claim our authserv-id)
 */
record HeaderScan(
        long subjectValueOffset,
        Optional<String> messageId,
        int received,
        List<Field> ours,
        List<Field> authenticationResults) {

    /**
     * One header field: octets {@code [start, end)} of the message, continuation lines included,
     * and its unfolded value.
     */
    record Field(long start, long end, String value) {}

    HeaderScan {
        ours = List.copyOf(ours);
        authenticationResults = List.copyOf(authenticationResults);
    }

    static HeaderScan of(Message spool, long headerEnd) throws IOException {
        java.io.ByteArrayOutputStream copy =
                new java.io.ByteArrayOutputStream((int) Math.min(headerEnd, 1 << 20));
        spool.copy(0, headerEnd, copy);
        byte[] header = copy.toByteArray();
        long subject = -1;
        Optional<String> messageId = Optional.empty();
        int received = 0;
        List<Field> ours = new ArrayList<>();
        List<Field> authResults = new ArrayList<>();
        int lineStart = 0;
        while (lineStart < header.length) {
            int end = indexOf(header, lineStart);
            int next = end < 0 ? header.length : end + 1;
            int colon = -1;
            for (int i = lineStart; i < next && i - lineStart < 80; i++) {
                if (header[i] == ':') {
                    colon = i;
                    break;
                }
            }
            if (colon > lineStart && header[lineStart] != ' ' && header[lineStart] != '\t') {
                String name =
                        new String(header, lineStart, colon - lineStart, StandardCharsets.US_ASCII)
                                .trim()
                                .toLowerCase(Locale.ROOT);
                if (subject < 0 && name.equals("subject")) {
                    int v = colon + 1;
                    while (v < next && (header[v] == ' ' || header[v] == '\t')) {
                        v++;
                    }
                    subject = v;
                } else if (messageId.isEmpty() && name.equals("message-id")) {
                    messageId =
                            Optional.of(unfold(header, colon + 1, next)).filter(s -> !s.isEmpty());
                } else if (name.equals("received")) {
                    received++;
                } else if (name.equals("authentication-results")) {
                    int end2 = fieldEnd(header, next);
                    authResults.add(
                            new Field(
                                    lineStart,
                                    end2,
                                    new String(
                                                    header,
                                                    colon + 1,
                                                    end2 - colon - 1,
                                                    StandardCharsets.UTF_8)
                                            .replaceAll("[\\r\\n]+", "")));
                }
            }
            // Judged on the line itself, not on the name found above: a name too long for that
            // search must not let a forged field through.
            if (startsWithIgnoreCase(header, lineStart, next, OURS)) {
                ours.add(new Field(lineStart, fieldEnd(header, next), ""));
            }
            lineStart = next;
        }
        return new HeaderScan(subject, messageId, received, ours, authResults);
    }

    private static final byte[] OURS = "x-bulwark".getBytes(StandardCharsets.US_ASCII);

    private static boolean startsWithIgnoreCase(byte[] b, int from, int to, byte[] lowerPrefix) {
        if (to - from < lowerPrefix.length) {
            return false;
        }
        for (int i = 0; i < lowerPrefix.length; i++) {
            byte c = b[from + i];
            if ((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) != lowerPrefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The offset after the field whose first line ends at {@code next}: its continuation lines. */
    private static int fieldEnd(byte[] header, int next) {
        int i = next;
        while (i < header.length && (header[i] == ' ' || header[i] == '\t')) {
            int end = indexOf(header, i);
            i = end < 0 ? header.length : end + 1;
        }
        return i;
    }

    private static String unfold(byte[] header, int from, int lineEnd) {
        StringBuilder value =
                new StringBuilder(new String(header, from, lineEnd - from, StandardCharsets.UTF_8));
        int i = lineEnd;
        while (i < header.length && (header[i] == ' ' || header[i] == '\t')) {
            int end = indexOf(header, i);
            int next = end < 0 ? header.length : end + 1;
            value.append(new String(header, i, next - i, StandardCharsets.UTF_8));
            i = next;
        }
        String v = value.toString().replaceAll("[\\r\\n]+", "").trim();
        return v.length() > 300 ? v.substring(0, 300) : v;
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
