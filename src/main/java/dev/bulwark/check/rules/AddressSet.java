package dev.bulwark.check.rules;

import dev.bulwark.envelope.Mailbox;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Mailboxes and domains: an entry with an {@code @} is a whole address, compared without regard to
 * case (local parts are case-sensitive in theory, never in practice, and a filter that could be
 * dodged with {@code Alice@} would be useless); an entry without one is a domain as in {@link
 * DomainSet}.
 */
public final class AddressSet {

    private final Set<String> addresses;
    private final DomainSet domains;
    private final List<String> entries;

    private AddressSet(Collection<String> entries) {
        Set<String> a = new HashSet<>();
        List<String> d = new ArrayList<>();
        for (String e : entries) {
            if (e.indexOf('@') >= 0) {
                a.add(e.toLowerCase(Locale.ROOT));
            } else {
                d.add(e);
            }
        }
        this.addresses = Set.copyOf(a);
        this.domains = DomainSet.of(d);
        this.entries = List.copyOf(entries);
    }

    public static AddressSet of(Collection<String> entries) {
        return new AddressSet(entries);
    }

    public List<String> entries() {
        return entries;
    }

    /** The entry that matches the mailbox, if any. */
    public Optional<String> match(Mailbox mailbox) {
        if (!addresses.isEmpty()) {
            String address =
                    (mailbox.unquotedLocalPart() + "@" + mailbox.domain()).toLowerCase(Locale.ROOT);
            if (addresses.contains(address)) {
                return Optional.of(address);
            }
        }
        if (mailbox.hasAddressLiteral()) {
            return Optional.empty();
        }
        return domains.match(dev.bulwark.check.RelayDomains.normalize(mailbox.domain()));
    }
}
