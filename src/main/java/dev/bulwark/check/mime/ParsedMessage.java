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
 *     message. A budget that ran out is listed here too, as {@code budget exceeded: KIND}, so that
 *     {@code mime-malformed} sees a message that was not inspected whole
 * @param budgetExceeded the budgets ({@link MessageBudget}) that ran out, in the order they did,
 *     without duplicates; empty when the whole message was inspected
 */
public record ParsedMessage(
        List<Header> headers,
        String subject,
        String text,
        List<Attachment> attachments,
        List<String> urlHosts,
        List<String> defects,
        List<MessageBudget.Kind> budgetExceeded) {

    public ParsedMessage {
        headers = List.copyOf(headers);
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(text, "text");
        attachments = List.copyOf(attachments);
        urlHosts = List.copyOf(urlHosts);
        defects = List.copyOf(defects);
        budgetExceeded = List.copyOf(budgetExceeded);
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
     * One attachment: a MIME part, or an entry of a zip archive attached.
     *
     * @param filename the decoded file name (RFC 2231 or encoded-word), empty when the part has
     *     none; for an archive entry, its path inside the archive ({@code docs/invoice.pdf.exe})
     * @param contentType the lower-case {@code type/subtype}: as declared for a MIME part; for an
     *     archive entry, recognised from its first octets ({@code application/x-msdownload} for a
     *     Windows executable), {@code application/octet-stream} when not recognised
     * @param archive empty for a MIME part; for an archive entry, the file name of the archive
     *     attached, followed by the path of each archive inside it, separated by {@code /} ({@code
     *     invoice.zip}, {@code outer.zip/inner.zip})
     */
    public record Attachment(String filename, String contentType, String archive) {
        public Attachment {
            Objects.requireNonNull(filename, "filename");
            Objects.requireNonNull(contentType, "contentType");
            Objects.requireNonNull(archive, "archive");
        }

        /** A MIME part. */
        public Attachment(String filename, String contentType) {
            this(filename, contentType, "");
        }

        public boolean inArchive() {
            return !archive.isEmpty();
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

    /** Whether the budget of this kind ran out. */
    public boolean exceeded(MessageBudget.Kind kind) {
        return budgetExceeded.contains(kind);
    }
}
