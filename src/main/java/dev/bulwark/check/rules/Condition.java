package dev.bulwark.check.rules;

import dev.bulwark.check.RelayDomains;
import dev.bulwark.check.Stage;
import dev.bulwark.check.mime.ParsedMessage;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.regex.Regex;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A compiled rule condition: a matcher, or {@code all}/{@code any}/{@code not} of conditions. Each
 * record's {@link #name()} is its name in the policy language. Conditions are immutable and shared
 * by every session.
 */
public sealed interface Condition {

    /**
     * Tests the condition against the facts. On a match, appends a short account of what matched to
     * {@code why} (for the audit log and {@code bulwark check}); on no match leaves it as it was.
     */
    boolean test(Facts facts, StringBuilder why);

    /** The earliest stage at which every fact this condition reads is known. */
    Stage earliest();

    /** The name in the policy language. */
    String name();

    /** Matched text is clipped to this many characters in hit details. */
    int CLIP = 80;

    static String clip(String s) {
        StringBuilder out = new StringBuilder(Math.min(s.length(), CLIP) + 3);
        for (int i = 0; i < s.length() && out.length() < CLIP; i++) {
            char c = s.charAt(i);
            out.append(c < 32 || c == 127 ? ' ' : c);
        }
        if (s.length() > CLIP) {
            out.append("...");
        }
        return out.toString();
    }

    private static boolean note(StringBuilder why, String name, String detail) {
        if (!why.isEmpty()) {
            why.append("; ");
        }
        why.append(name).append(' ').append(detail);
        return true;
    }

    private static Stage latest(List<Condition> cs) {
        Stage s = Stage.CONNECT;
        for (Condition c : cs) {
            if (c.earliest().compareTo(s) > 0) {
                s = c.earliest();
            }
        }
        return s;
    }

    // ---- composition -------------------------------------------------------------------------

    /** A rule without {@code when}: always true. */
    record Always() implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            return true;
        }

        public Stage earliest() {
            return Stage.CONNECT;
        }

        public String name() {
            return "always";
        }
    }

    record All(List<Condition> conditions) implements Condition {
        public All {
            conditions = List.copyOf(conditions);
        }

        public boolean test(Facts f, StringBuilder why) {
            int mark = why.length();
            for (Condition c : conditions) {
                if (!c.test(f, why)) {
                    why.setLength(mark);
                    return false;
                }
            }
            return true;
        }

        public Stage earliest() {
            return latest(conditions);
        }

        public String name() {
            return "all";
        }
    }

    record Any(List<Condition> conditions) implements Condition {
        public Any {
            conditions = List.copyOf(conditions);
        }

        public boolean test(Facts f, StringBuilder why) {
            for (Condition c : conditions) {
                if (c.test(f, why)) {
                    return true;
                }
            }
            return false;
        }

        public Stage earliest() {
            return latest(conditions);
        }

        public String name() {
            return "any";
        }
    }

    record Not(Condition condition) implements Condition {
        public Not {
            Objects.requireNonNull(condition, "condition");
        }

        public boolean test(Facts f, StringBuilder why) {
            StringBuilder inner = new StringBuilder();
            if (condition.test(f, inner)) {
                return false;
            }
            return note(why, "not", condition.name());
        }

        public Stage earliest() {
            return condition.earliest();
        }

        public String name() {
            return "not";
        }
    }

    // ---- connection ----------------------------------------------------------------------------

    record ClientIpIn(String list, CidrSet set) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            Optional<CidrSet.Network> n = set.lookup(f.client());
            return n.isPresent()
                    && note(
                            why,
                            name(),
                            list + ": " + f.client().getHostAddress() + " in " + n.get());
        }

        public Stage earliest() {
            return Stage.CONNECT;
        }

        public String name() {
            return "client-ip-in";
        }
    }

    record HeloIs(HeloShape shape) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            return shape.test(f.helo(), f.client())
                    && note(why, name(), shape.key() + ": \"" + clip(f.helo()) + "\"");
        }

        public Stage earliest() {
            return Stage.HELO;
        }

        public String name() {
            return "helo-is";
        }
    }

    record HeloMatches(Regex regex) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            Optional<String> m = regex.find(f.helo());
            return m.isPresent() && note(why, name(), regex + ": \"" + clip(m.get()) + "\"");
        }

        public Stage earliest() {
            return Stage.HELO;
        }

        public String name() {
            return "helo-matches";
        }
    }

    record HeloIn(String list, DomainSet set) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            String h = f.helo().trim();
            if (h.isEmpty() || h.startsWith("[")) {
                return false;
            }
            Optional<String> m = set.match(RelayDomains.normalize(h));
            return m.isPresent()
                    && note(why, name(), list + ": \"" + clip(h) + "\" matches " + m.get());
        }

        public Stage earliest() {
            return Stage.HELO;
        }

        public String name() {
            return "helo-in";
        }
    }

    // ---- envelope ------------------------------------------------------------------------------

    record SenderIn(String list, AddressSet set) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            if (!(f.sender() instanceof Mailbox m)) {
                return false;
            }
            Optional<String> e = set.match(m);
            return e.isPresent()
                    && note(why, name(), list + ": " + clip(m.address()) + " matches " + e.get());
        }

        public Stage earliest() {
            return Stage.MAIL;
        }

        public String name() {
            return "sender-in";
        }
    }

    record SenderMatches(Regex regex) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            String address = f.sender() instanceof Mailbox m ? m.address() : "";
            Optional<String> hit = regex.find(address);
            return hit.isPresent()
                    && note(
                            why,
                            name(),
                            regex + ": \"" + clip(hit.get()) + "\" in " + clip(address));
        }

        public Stage earliest() {
            return Stage.MAIL;
        }

        public String name() {
            return "sender-matches";
        }
    }

    record SenderNull(boolean expected) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            boolean isNull = !(f.sender() instanceof Mailbox);
            return isNull == expected && note(why, name(), String.valueOf(expected));
        }

        public Stage earliest() {
            return Stage.MAIL;
        }

        public String name() {
            return "sender-null";
        }
    }

    /** At RCPT the recipient being judged; at DATA any recipient of the transaction. */
    record RecipientIn(String list, AddressSet set) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            for (Mailbox m : recipientsOf(f)) {
                Optional<String> e = set.match(m);
                if (e.isPresent()) {
                    return note(
                            why, name(), list + ": " + clip(m.address()) + " matches " + e.get());
                }
            }
            return false;
        }

        public Stage earliest() {
            return Stage.RCPT;
        }

        public String name() {
            return "recipient-in";
        }
    }

    record RecipientMatches(Regex regex) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            for (Mailbox m : recipientsOf(f)) {
                Optional<String> hit = regex.find(m.address());
                if (hit.isPresent()) {
                    return note(
                            why,
                            name(),
                            regex + ": \"" + clip(hit.get()) + "\" in " + clip(m.address()));
                }
            }
            return false;
        }

        public Stage earliest() {
            return Stage.RCPT;
        }

        public String name() {
            return "recipient-matches";
        }
    }

    private static List<Mailbox> recipientsOf(Facts f) {
        if (f.stage() == Stage.RCPT) {
            return f.recipient() == null ? List.of() : List.of(f.recipient());
        }
        return f.recipients();
    }

    // ---- headers -------------------------------------------------------------------------------

    record HeaderPresent(String header) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            return f.parsed().hasHeader(header) && note(why, name(), header);
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "header-present";
        }
    }

    record HeaderAbsent(String header) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            return !f.parsed().hasHeader(header) && note(why, name(), header);
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "header-absent";
        }
    }

    record HeaderMatches(String header, Regex regex) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            for (ParsedMessage.Header h : f.parsed().headers()) {
                if (h.is(header)) {
                    Optional<String> m = regex.find(h.value());
                    if (m.isPresent()) {
                        return note(
                                why, name(), header + " " + regex + ": \"" + clip(m.get()) + "\"");
                    }
                }
            }
            return false;
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "header-matches";
        }
    }

    record SubjectContains(Text text) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            String subject = f.parsed().subject();
            int at = text.indexIn(subject, f.foldedSubject());
            return at >= 0 && note(why, name(), text + ": \"" + clip(subject) + "\"");
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "subject-contains";
        }
    }

    record SubjectMatches(Regex regex) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            Optional<String> m = regex.find(f.parsed().subject());
            return m.isPresent() && note(why, name(), regex + ": \"" + clip(m.get()) + "\"");
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "subject-matches";
        }
    }

    // ---- body ----------------------------------------------------------------------------------

    record BodyContains(Text text) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            String body = f.parsed().text();
            int at = text.indexIn(body, f.foldedText());
            if (at < 0) {
                return false;
            }
            String found =
                    at + text.text().length() <= body.length()
                            ? body.substring(at, at + text.text().length())
                            : text.text();
            return note(why, name(), text + ": \"" + clip(found) + "\"");
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "body-contains";
        }
    }

    record BodyMatches(Regex regex) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            Optional<String> m = regex.find(f.parsed().text(), f.foldedText(), f.bodyLiterals());
            return m.isPresent() && note(why, name(), regex + ": \"" + clip(m.get()) + "\"");
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "body-matches";
        }
    }

    /** Matches the message as received, headers included, undecoded (read as UTF-8). */
    record RawMatches(Regex regex) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            Optional<String> m = regex.find(f.raw(), f.rawLiterals());
            return m.isPresent() && note(why, name(), regex + ": \"" + clip(m.get()) + "\"");
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "raw-matches";
        }
    }

    record MimeMalformed(boolean expected) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            List<String> defects = f.parsed().defects();
            if (defects.isEmpty() == expected) {
                return false;
            }
            return note(why, name(), expected ? String.join(", ", defects) : "false");
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "mime-malformed";
        }
    }

    record SizeOver(long bytes) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            return f.size() > bytes && note(why, name(), f.size() + " > " + bytes + " bytes");
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "size-over";
        }
    }

    // ---- attachments ---------------------------------------------------------------------------

    record AttachmentNameMatches(Regex regex) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            for (ParsedMessage.Attachment a : f.parsed().attachments()) {
                if (!a.filename().isEmpty()) {
                    Optional<String> m = regex.find(a.filename());
                    if (m.isPresent()) {
                        return note(why, name(), regex + ": \"" + clip(a.filename()) + "\"");
                    }
                }
            }
            return false;
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "attachment-name-matches";
        }
    }

    record AttachmentExtensionIn(String list, NameSet set) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            for (ParsedMessage.Attachment a : f.parsed().attachments()) {
                String ext = a.extension();
                if (!ext.isEmpty() && set.match(ext).isPresent()) {
                    return note(why, name(), list + ": \"" + clip(a.filename()) + "\"");
                }
            }
            return false;
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "attachment-extension-in";
        }
    }

    record AttachmentTypeIn(String list, NameSet set) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            for (ParsedMessage.Attachment a : f.parsed().attachments()) {
                Optional<String> m = set.match(a.contentType());
                if (m.isPresent()) {
                    String what =
                            a.filename().isEmpty()
                                    ? a.contentType()
                                    : a.contentType() + " \"" + clip(a.filename()) + "\"";
                    return note(why, name(), list + ": " + what);
                }
            }
            return false;
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "attachment-type-in";
        }
    }

    // ---- URLs ----------------------------------------------------------------------------------

    record UrlHostIn(String list, DomainSet set) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            for (String host : f.parsed().urlHosts()) {
                Optional<String> m = set.match(host);
                if (m.isPresent()) {
                    return note(why, name(), list + ": " + clip(host) + " matches " + m.get());
                }
            }
            return false;
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "url-host-in";
        }
    }

    record UrlHostIsIp(boolean expected) implements Condition {
        public boolean test(Facts f, StringBuilder why) {
            String found = null;
            for (String host : f.parsed().urlHosts()) {
                if (Cidrs.literal(host) != null) {
                    found = host;
                    break;
                }
            }
            return (found != null) == expected
                    && note(why, name(), found != null ? found : "false");
        }

        public Stage earliest() {
            return Stage.DATA;
        }

        public String name() {
            return "url-host-is-ip";
        }
    }
}
