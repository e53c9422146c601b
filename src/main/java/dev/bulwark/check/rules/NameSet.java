package dev.bulwark.check.rules;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Lower-case names looked up exactly: file extensions (without the dot), and content types where an
 * entry {@code type/*} matches every subtype.
 */
public final class NameSet {

    private final Set<String> exact;
    private final Set<String> wildcards;
    private final List<String> entries;

    private NameSet(Collection<String> entries) {
        Set<String> e = new HashSet<>();
        Set<String> w = new HashSet<>();
        for (String entry : entries) {
            if (entry.endsWith("/*")) {
                w.add(entry.substring(0, entry.length() - 1));
            } else {
                e.add(entry);
            }
        }
        this.exact = Set.copyOf(e);
        this.wildcards = Set.copyOf(w);
        this.entries = List.copyOf(entries);
    }

    public static NameSet of(Collection<String> entries) {
        return new NameSet(entries);
    }

    public List<String> entries() {
        return entries;
    }

    /** The entry matching the lower-case name, if any. */
    public Optional<String> match(String name) {
        if (exact.contains(name)) {
            return Optional.of(name);
        }
        if (!wildcards.isEmpty()) {
            int slash = name.indexOf('/');
            if (slash > 0 && wildcards.contains(name.substring(0, slash + 1))) {
                return Optional.of(name.substring(0, slash + 1) + "*");
            }
        }
        return Optional.empty();
    }
}
