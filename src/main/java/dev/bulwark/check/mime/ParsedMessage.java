package dev.bulwark.check.mime;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What the content rules see of one message, decoded: the top-level headers, the subject, the text
 * of every text part, the attachments, the hosts of every URL, and what was wrong with the MIME
 * structure. Built by {@link MimeParser}; immutable.
 *
 * @param headers the top-level headers in order, values unfolded and RFC 2047-decoded
 * @param subject the decoded subject, empty when absent
 * @param text the decoded text of every text part (plain, and HTML with tags stripped), parts
 *     separated by a blank line
 * @param attachments every non-text part and every part with a file name, nested ones included
 * @param urlHosts the host of every http(s) or {@code www.} URL, lower-case A-labels, in order of
 *     appearance, without duplicates
 * @param defects what was malformed, in order found, without duplicates; empty for a well-formed
 *     message
 */
public record ParsedMessage(
        List<Header> headers,
        String subject,
        String text,
        List<Attachment> attachments,
        List<String> urlHosts,
        List<String> defects) {

    public ParsedMessage {
        headers = List.copyOf(headers);
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(text, "text");
        attachments = List.copyOf(attachments);
        urlHosts = List.copyOf(urlHosts);
        defects = List.copyOf(defects);
    }

    /** One header field. {@code name} as written; compare with {@link #is}. */
    public record Header(String name, String value) {
        public Header {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }

        public boolean is(String other) {
            return name.equalsIgnoreCase(other);
        }
    }

    /**
     * One attachment.
     *
     * @param filename the decoded file name (RFC 2231 or encoded-word), empty when the part has
     *     none
     * @param contentType the lower-case {@code type/subtype}
     */
    public record Attachment(String filename, String contentType) {
        public Attachment {
            Objects.requireNonNull(filename, "filename");
            Objects.requireNonNull(contentType, "contentType");
        }

        /** The lower-case text after the file name's last dot, or empty. */
        public String extension() {
            int dot = filename.lastIndexOf('.');
            if (dot < 0 || dot == filename.length() - 1) {
                return "";
            }
            return filename.substring(dot + 1).trim().toLowerCase(Locale.ROOT);
        }
    }

    /** Every value of the header, in order. */
    public List<String> header(String name) {
        List<String> out = new ArrayList<>(1);
        for (Header h : headers) {
            if (h.is(name)) {
                out.add(h.value());
            }
        }
        return out;
    }

    public boolean hasHeader(String name) {
        for (Header h : headers) {
            if (h.is(name)) {
                return true;
            }
        }
        return false;
    }

    public boolean malformed() {
        return !defects.isEmpty();
    }
}
