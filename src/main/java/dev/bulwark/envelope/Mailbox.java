package dev.bulwark.envelope;

import java.util.Locale;
import java.util.Objects;

/**
 * One mailbox, {@code local-part@domain}. The local part keeps its case and quoting as the client
 * wrote it; the domain is lower-cased. A mailbox without a domain exists only for the special
 * recipient {@code <postmaster>}.
 *
 * @param localPart the local part, including surrounding quotes when the client quoted it
 * @param domain the domain in lower case, or an address literal such as {@code [192.0.2.1]}; empty
 *     only for {@code postmaster}
 */
public record Mailbox(String localPart, String domain) implements ReversePath {

    public Mailbox {
        Objects.requireNonNull(localPart, "localPart");
        Objects.requireNonNull(domain, "domain");
        domain = domain.toLowerCase(Locale.ROOT);
    }

    /** Parses {@code local@domain} without angle brackets, for lists, test cases and the CLI. */
    public static Mailbox of(String address) {
        Path path = Paths.parse("<" + address + ">");
        return path.mailbox();
    }

    /** {@code true} for a domain literal such as {@code [192.0.2.1]} or {@code [IPv6:...]}. */
    public boolean hasAddressLiteral() {
        return domain.startsWith("[");
    }

    /** {@code true} when the local part was written in quotes. */
    public boolean isQuoted() {
        return localPart.startsWith("\"");
    }

    /** The local part with quotes and quoted-pair escapes removed: what the mailbox owner sees. */
    public String unquotedLocalPart() {
        if (!isQuoted()) {
            return localPart;
        }
        StringBuilder out = new StringBuilder(localPart.length());
        for (int i = 1; i < localPart.length() - 1; i++) {
            char c = localPart.charAt(i);
            if (c == '\\' && i + 1 < localPart.length() - 1) {
                c = localPart.charAt(++i);
            }
            out.append(c);
        }
        return out.toString();
    }

    /** {@code true} for the domain-less {@code postmaster} recipient (RFC 5321 section 4.5.1). */
    public boolean isBarePostmaster() {
        return domain.isEmpty();
    }

    /** The address without angle brackets. */
    public String address() {
        return domain.isEmpty() ? localPart : localPart + "@" + domain;
    }

    @Override
    public String toSmtp() {
        return "<" + address() + ">";
    }

    @Override
    public String toString() {
        return address();
    }
}
