package dev.bulwark.flow;

import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.check.Message;
import dev.bulwark.check.PolicyDigest;
import dev.bulwark.check.Score;
import dev.bulwark.check.Verdict;
import dev.bulwark.envelope.Mailbox;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What the relay prepends to a message: a Received header (RFC 5321 section 4.4), an X-Bulwark
 * header naming the verdict and the policy digest, and any headers a tag verdict adds. Everything
 * after them is the client's message byte for byte, except a tag's subject prefix.
 */
final class TraceHeaders {

    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.ENGLISH);

    private TraceHeaders() {}

    /**
     * @param with the protocol keyword (RFC 3848): ESMTP, ESMTPS, SMTP
     * @param recipient the single recipient for the "for" clause, if there is exactly one
     */
    static String received(
            String helo,
            InetAddress client,
            String hostname,
            String with,
            Optional<String> tls,
            String id,
            Optional<Mailbox> recipient,
            ZonedDateTime now) {
        StringBuilder b = new StringBuilder(256);
        b.append("Received: from ")
                .append(clean(helo))
                .append(" (")
                .append(literal(client))
                .append(")\r\n");
        b.append("\tby ").append(hostname).append(" (Bulwark) with ").append(with);
        tls.ifPresent(t -> b.append("\r\n\t(using ").append(clean(t)).append(')'));
        b.append("\r\n\tid ").append(id);
        recipient.ifPresent(r -> b.append("\r\n\tfor ").append(clean(r.toSmtp())));
        b.append("; ").append(DATE.format(now)).append("\r\n");
        return b.toString();
    }

    static String bulwark(AuditVerdict verdict, Score score, PolicyDigest digest, String id) {
        return bulwark(verdict, score, java.util.OptionalDouble.empty(), digest, id);
    }

    /**
     * The X-Bulwark header: verdict, score, the classifier's spam probability when the policy has a
     * classifier ({@code classifier=0.9731}), policy digest and transaction id.
     */
    static String bulwark(
            AuditVerdict verdict,
            Score score,
            java.util.OptionalDouble classifier,
            PolicyDigest digest,
            String id) {
        return "X-Bulwark: verdict="
                + verdict.key()
                + "; score="
                + score
                + (classifier.isPresent()
                        ? "; classifier="
                                + dev.bulwark.classifier.Score.format(classifier.getAsDouble())
                        : "")
                + "; policy="
                + digest.hex()
                + "; id="
                + id
                + "\r\n";
    }

    static String header(Verdict.Header h) {
        return clean(h.name()).replace(":", "") + ": " + clean(h.value()) + "\r\n";
    }

    /**
     * The payload for the next hop: {@code prefix} headers, then the message without the {@code
     * removed} fields (in message order: the client's own {@code X-Bulwark*} fields, forged
     * Authentication-Results), with the subject prefix inserted at {@code
     * scan.subjectValueOffset()} (or a Subject header added if it has none).
     */
    static Payload payload(
            String prefix,
            Message message,
            HeaderScan scan,
            List<HeaderScan.Field> removed,
            Optional<String> subjectPrefix,
            List<Verdict.Header> extra) {
        return out -> {
            StringBuilder head = new StringBuilder(prefix);
            for (Verdict.Header h : extra) {
                head.append(header(h));
            }
            if (subjectPrefix.isPresent() && scan.subjectValueOffset() < 0) {
                head.append("Subject: ").append(clean(subjectPrefix.get()).strip()).append("\r\n");
            }
            out.write(head.toString().getBytes(StandardCharsets.UTF_8));
            if (subjectPrefix.isPresent() && scan.subjectValueOffset() >= 0) {
                long at = scan.subjectValueOffset();
                copyExcept(message, 0, at, removed, out);
                String p = clean(subjectPrefix.get());
                out.write((p.endsWith(" ") ? p : p + " ").getBytes(StandardCharsets.UTF_8));
                copyExcept(message, at, message.size(), removed, out);
            } else if (removed.isEmpty()) {
                copyAll(message, out);
            } else {
                copyExcept(message, 0, message.size(), removed, out);
            }
        };
    }

    /** Copies octets {@code [from, to)} of the message, leaving out the removed fields. */
    private static void copyExcept(
            Message message, long from, long to, List<HeaderScan.Field> removed, OutputStream out)
            throws IOException {
        long pos = from;
        for (HeaderScan.Field f : removed) {
            if (f.end() <= pos || f.start() >= to) {
                continue;
            }
            if (f.start() > pos) {
                message.copy(pos, f.start(), out);
            }
            pos = Math.min(f.end(), to);
        }
        if (pos < to) {
            message.copy(pos, to, out);
        }
    }

    private static void copyAll(Message message, OutputStream out) throws IOException {
        message.copy(0, message.size(), out);
    }

    /**
     * An address literal as RFC 5321 writes it: {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]}.
     */
    static String literal(InetAddress a) {
        return a instanceof Inet6Address
                ? "[IPv6:" + a.getHostAddress() + "]"
                : "[" + a.getHostAddress() + "]";
    }

    /** Client-supplied text in a header: one line of printable characters, bounded. */
    static String clean(String s) {
        StringBuilder out = new StringBuilder(Math.min(s.length(), 256));
        for (int i = 0; i < s.length() && out.length() < 256; i++) {
            char c = s.charAt(i);
            out.append(c < 32 || c == 127 ? '?' : c);
        }
        return out.toString();
    }
}
