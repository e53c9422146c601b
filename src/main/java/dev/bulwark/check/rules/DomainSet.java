package dev.bulwark.check.rules;

import dev.bulwark.check.RelayDomains;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Domains, with the convention of {@link RelayDomains}: {@code example.com} matches that domain
 * only, {@code .example.com} matches every subdomain of it (not the domain itself). Entries and
 * looked-up names are compared in their IDNA A-label, lower-case form.
 */
public final class DomainSet {

    private final Set<String> exact;
    private final Set<String> parents;
    private final List<String> entries;

    private DomainSet(Collection<String> entries) {
        Set<String> e = new HashSet<>();
        Set<String> p = new HashSet<>();
        for (String entry : entries) {
            if (entry.startsWith(".")) {
                p.add(RelayDomains.normalize(entry.substring(1)));
            } else {
                e.add(RelayDomains.normalize(entry));
            }
        }
        this.exact = Set.copyOf(e);
        this.parents = Set.copyOf(p);
        this.entries = List.copyOf(entries);
    }

    /** Builds a set from canonical entries (see {@code policy.Entries}). */
    public static DomainSet of(Collection<String> entries) {
        return new DomainSet(entries);
    }

    public List<String> entries() {
        return entries;
    }

    /** The entry that matches the (already normalized) domain, if any. */
    public Optional<String> match(String domain) {
        if (domain.isEmpty()) {
            return Optional.empty();
        }
        String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
        if (exact.contains(d)) {
            return Optional.of(d);
        }
        if (!parents.isEmpty()) {
            for (int dot = d.indexOf('.'); dot >= 0; dot = d.indexOf('.', dot + 1)) {
                String parent = d.substring(dot + 1);
                if (parents.contains(parent)) {
                    return Optional.of("." + parent);
                }
            }
        }
        return Optional.empty();
    }
}
