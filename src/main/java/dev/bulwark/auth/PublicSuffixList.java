package dev.bulwark.auth;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The Public Suffix List: which names are registries (com, co.uk, github.io) so that the domain
 * someone registered below one can be found. DMARC's organizational domain (RFC 7489 section 3.2)
 * and the URI lists' lookup key are that registrable domain. The list is a snapshot kept in the
 * policy source ({@code policy/psl/public_suffix_list.dat}), so it is covered by the policy digest
 * and never changes under a running node. Immutable once read.
 */
public final class PublicSuffixList {

    private final Set<String> rules;
    private final Set<String> wildcards;
    private final Set<String> exceptions;

    /** No rule but the implicit "*": every name's registrable domain is its last two labels. */
    public static final PublicSuffixList EMPTY = new PublicSuffixList(Set.of(), Set.of(), Set.of());

    private PublicSuffixList(Set<String> rules, Set<String> wildcards, Set<String> exceptions) {
        this.rules = Set.copyOf(rules);
        this.wildcards = Set.copyOf(wildcards);
        this.exceptions = Set.copyOf(exceptions);
    }

    /**
     * Reads the list's file format: one rule a line, {@code //} comments, {@code *.} and {@code !}.
     */
    public static PublicSuffixList read(InputStream in) throws IOException {
        Set<String> rules = new HashSet<>();
        Set<String> wildcards = new HashSet<>();
        Set<String> exceptions = new HashSet<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            String rule = line.strip();
            if (rule.isEmpty() || rule.startsWith("//")) {
                continue;
            }
            int space = rule.indexOf(' ');
            if (space > 0) {
                rule = rule.substring(0, space);
            }
            if (rule.startsWith("!")) {
                ascii(rule.substring(1)).ifPresent(exceptions::add);
            } else if (rule.startsWith("*.")) {
                ascii(rule.substring(2)).ifPresent(wildcards::add);
            } else {
                ascii(rule).ifPresent(rules::add);
            }
        }
        return new PublicSuffixList(rules, wildcards, exceptions);
    }

    public static PublicSuffixList read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in);
        }
    }

    /** Rules are matched in their A-label form, as names arrive in DNS and mail. */
    private static Optional<String> ascii(String name) {
        try {
            return Optional.of(IDN.toASCII(name, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The number of rules read (for a sanity check at load). */
    public int size() {
        return rules.size() + wildcards.size() + exceptions.size();
    }

    /**
     * The public suffix of a name by the list's algorithm: the longest matching rule, an exception
     * rule beating a wildcard, and "*" (the last label) when nothing matches.
     */
    public String publicSuffix(String domain) {
        String d = normalize(domain);
        String[] labels = d.split("\\.");
        // Walk from the longest candidate suffix to the shortest: the first match is the longest.
        for (int i = 0; i < labels.length; i++) {
            String candidate = join(labels, i);
            if (exceptions.contains(candidate)) {
                return join(labels, i + 1);
            }
            if (rules.contains(candidate)) {
                return candidate;
            }
            if (i + 1 < labels.length && wildcards.contains(join(labels, i + 1))) {
                return candidate;
            }
        }
        return labels[labels.length - 1];
    }

    /**
     * The registrable domain: the public suffix and one label more ("example.co.uk" for
     * "mail.example.co.uk"); empty when the name is itself a public suffix.
     */
    public Optional<String> registrableDomain(String domain) {
        String d = normalize(domain);
        String suffix = publicSuffix(d);
        if (d.length() <= suffix.length()) {
            return Optional.empty();
        }
        String rest = d.substring(0, d.length() - suffix.length() - 1);
        int dot = rest.lastIndexOf('.');
        return Optional.of(rest.substring(dot + 1) + "." + suffix);
    }

    /**
     * DMARC's organizational domain (RFC 7489 section 3.2): the registrable domain, or the name
     * itself when it is a public suffix.
     */
    public String organizationalDomain(String domain) {
        return registrableDomain(domain).orElse(normalize(domain));
    }

    private static String normalize(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        return ascii(d).orElse(d);
    }

    private static String join(String[] labels, int from) {
        return String.join(".", java.util.Arrays.asList(labels).subList(from, labels.length));
    }
}
