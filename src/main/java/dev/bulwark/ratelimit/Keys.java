package dev.bulwark.ratelimit;

import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.NullPath;
import dev.bulwark.envelope.ReversePath;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/** Turns a {@link Subject} into the bucket key of a limit. */
final class Keys {

    /** The one key of a {@link LimitSpec.Key#GLOBAL} limit. */
    static final String GLOBAL = "*";

    private Keys() {}

    /**
     * The key of {@code limit} for {@code subject}.
     *
     * @throws IllegalArgumentException when the subject lacks a fact the limit needs (the SMTP
     *     layer passed the wrong subject for the stage: a bug, not a client error)
     */
    static String of(LimitSpec limit, Subject subject) {
        return switch (limit.key()) {
            case CLIENT_IP -> address(subject.client());
            case CLIENT_SUBNET -> subnet(subject.client(), limit.ipv4Prefix(), limit.ipv6Prefix());
            case SENDER -> sender(limit, subject, false);
            case SENDER_DOMAIN -> sender(limit, subject, true);
            case RECIPIENT -> address(recipient(limit, subject));
            case RECIPIENT_DOMAIN -> domain(recipient(limit, subject));
            case GLOBAL -> GLOBAL;
        };
    }

    /**
     * The address in its textual form, without an IPv6 scope (a zone is not part of the client).
     */
    static String address(InetAddress client) {
        String text = client.getHostAddress();
        int zone = text.indexOf('%');
        return zone < 0 ? text : text.substring(0, zone);
    }

    /** {@code network/prefix}, with the host bits cleared. */
    static String subnet(InetAddress client, int ipv4Prefix, int ipv6Prefix) {
        int prefix = client instanceof Inet4Address ? ipv4Prefix : ipv6Prefix;
        byte[] bytes = client.getAddress();
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return address(InetAddress.getByAddress(bytes)) + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(
                    "an address of " + bytes.length + " octets", e); // 4 or 16: cannot happen
        }
    }

    /**
     * Sender keys. The null reverse-path {@code <>} (bounces, delivery notifications) has no
     * address or domain; it is counted as {@code <>@client-address}, so each client's bounces share
     * one bucket: a single bucket for all bounces would let one flood block every bounce, and no
     * bucket at all would make {@code <>} a way around sender limits.
     */
    private static String sender(LimitSpec limit, Subject subject, boolean domainOnly) {
        ReversePath path = subject.sender().orElseThrow(() -> missing(limit, "sender"));
        return switch (path) {
            case NullPath n -> "<>@" + address(subject.client());
            case Mailbox m -> domainOnly ? domain(m) : address(m);
        };
    }

    private static Mailbox recipient(LimitSpec limit, Subject subject) {
        return subject.recipient().orElseThrow(() -> missing(limit, "recipient"));
    }

    /**
     * {@code local@domain} with the local part unquoted and lower-cased. RFC 5321 lets a server
     * treat local parts case-sensitively, but almost none do, and case variants must not be a way
     * to get fresh buckets.
     */
    static String address(Mailbox m) {
        String local = m.unquotedLocalPart().toLowerCase(Locale.ROOT);
        return m.domain().isEmpty() ? local : local + "@" + m.domain();
    }

    /**
     * The domain (already lower case); the bare {@code postmaster} recipient counts as {@code
     * postmaster}.
     */
    private static String domain(Mailbox m) {
        return m.domain().isEmpty() ? m.localPart().toLowerCase(Locale.ROOT) : m.domain();
    }

    private static IllegalArgumentException missing(LimitSpec limit, String what) {
        return new IllegalArgumentException(
                "limit '"
                        + limit.id()
                        + "' at stage "
                        + limit.stage().key()
                        + " needs the "
                        + what
                        + ", but the subject has none");
    }
}
