package dev.bulwark.check;

import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.Path;

import java.net.IDN;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The domains this node relays for. An entry {@code example.com} matches that domain only; an entry
 * {@code .example.com} matches every subdomain of it (not the domain itself).
 *
 * <p>A recipient is relayable only if it is written plainly: no address literal, no trailing dot,
 * and no {@code %}, {@code !} or {@code @} in the local part, since a next hop that honours the
 * percent hack, UUCP bang paths or quoted addresses could send such mail anywhere. A source route
 * is ignored, as RFC 5321 says, and the final mailbox is judged. The bare {@code <postmaster>}
 * recipient is always relayable.
 *
 * <p>The domain must also be written in its canonical form: ASCII in any case, or U-labels that
 * IDNA leaves as they are (lower case, NFKC, nothing mapped or removed). Anything else is refused
 * even when it maps onto a relay domain: case-fold look-alikes ({@code \u017F} LONG S, {@code
 * \u212A} KELVIN SIGN, {@code \u0130}), full-width letters, and the characters on which IDNA2003
 * and UTS #46 nontransitional processing disagree ({@code \u00DF}, final sigma, joiners). The next
 * hop gets the domain as the client wrote it, so the domain we judge and the one we forward must be
 * the same domain under every IDNA version a next hop may run; refusing the spellings that are not
 * canonical is the one rule that guarantees it (as UTS #46 says registries should: only canonical
 * labels are registrable).
 */
public final class RelayDomains {

    private final Set<String> exact;
    private final Set<String> parents;

    private RelayDomains(Set<String> exact, Set<String> parents) {
        this.exact = Set.copyOf(exact);
        this.parents = Set.copyOf(parents);
    }

    /** Builds the set from entries such as {@code example.com} and {@code .example.org}. */
    public static RelayDomains of(Collection<String> entries) {
        Set<String> exact = new HashSet<>();
        Set<String> parents = new HashSet<>();
        for (String entry : entries) {
            String e = entry.trim();
            if (e.startsWith(".")) {
                parents.add(normalize(e.substring(1)));
            } else {
                exact.add(normalize(e));
            }
        }
        return new RelayDomains(exact, parents);
    }

    /** The canonical form used for matching: lower-case ASCII (IDNA A-labels). */
    public static String normalize(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        try {
            return IDN.toASCII(d, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return d;
        }
    }

    /**
     * Why a domain as written is not in canonical form, or empty if it is: ASCII letters may be in
     * any case; other characters must survive IDNA's mapping unchanged.
     */
    public static Optional<String> nonCanonical(String written) {
        StringBuilder lower = new StringBuilder(written.length());
        boolean ascii = true;
        for (int i = 0; i < written.length(); i++) {
            char c = written.charAt(i);
            ascii &= c < 0x80;
            lower.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        }
        if (ascii) {
            return Optional.empty();
        }
        String d = lower.toString();
        String mapped;
        try {
            mapped = IDN.toUnicode(IDN.toASCII(d));
        } catch (IllegalArgumentException e) {
            return Optional.of("domain " + written + " is not a valid internationalized name");
        }
        if (!mapped.equals(d)) {
            return Optional.of(
                    "domain "
                            + written
                            + " is not in canonical form (IDNA maps it to "
                            + mapped
                            + ")");
        }
        return Optional.empty();
    }

    public boolean isEmpty() {
        return exact.isEmpty() && parents.isEmpty();
    }

    /** {@code true} if mail for this domain (written plainly) may be relayed. */
    public boolean contains(String domain) {
        String d = normalize(domain);
        if (exact.contains(d)) {
            return true;
        }
        for (int dot = d.indexOf('.'); dot >= 0; dot = d.indexOf('.', dot + 1)) {
            if (parents.contains(d.substring(dot + 1))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Why a recipient may not be relayed, or empty if it may. The reason is for the audit log,
     * never for the client.
     */
    public Optional<String> refusal(Path path) {
        Mailbox m = path.mailbox();
        if (m.isBarePostmaster()) {
            return Optional.empty();
        }
        if (m.hasAddressLiteral()) {
            return Optional.of("address literal " + m.domain());
        }
        if (path.trailingDot()) {
            return Optional.of("trailing dot in domain " + m.domain() + ".");
        }
        Optional<String> spelling = nonCanonical(path.writtenDomain());
        if (spelling.isPresent()) {
            return spelling;
        }
        String local = m.unquotedLocalPart();
        if (local.indexOf('%') >= 0 || local.indexOf('!') >= 0 || local.indexOf('@') >= 0) {
            return Optional.of("routing character in local part " + m.localPart());
        }
        if (!contains(m.domain())) {
            return Optional.of("domain " + m.domain() + " is not a relay domain");
        }
        return Optional.empty();
    }
}
