package dev.bulwark.auth.dnsbl;

import dev.bulwark.auth.DomainNames;
import dev.bulwark.auth.ListResult;
import dev.bulwark.auth.ListResult.Status;
import dev.bulwark.auth.PublicSuffixList;
import dev.bulwark.dns.DnsAnswer;
import dev.bulwark.dns.DnsResolver;
import dev.bulwark.dns.RecordType;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * DNS block and allow lists. Client lists (DNSBL, DNSWL) are asked at connect about the client's
 * address: IPv4 octets or IPv6 nibbles reversed, under the list's zone (RFC 5782). URI lists are
 * asked about the hosts found in a message: each host's registrable domain (Public Suffix List) or
 * address, once per message, at most {@code maxLookups} questions in all.
 *
 * <p>An A record in 127.0.0.0/8 is a listing, and its addresses are the list's return codes (the
 * policy maps codes to scores). 127.255.255.0/24 is what large lists answer when they refuse a
 * query (over quota, public resolver): that and any answer outside 127/8 (a resolver that rewrites
 * NXDOMAIN) are temperror, never a listing. DNS failures are temperror too.
 */
public final class DnsListChecker {

    // Compiled once: String.matches compiles its pattern at every call, on every message.
    private static final Pattern DIGITS_AND_DOTS = Pattern.compile("[0-9.]+");
    private static final Pattern DOTTED_QUAD = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");

    private final DnsResolver dns;
    private final PublicSuffixList psl;

    public DnsListChecker(DnsResolver dns, PublicSuffixList psl) {
        this.dns = dns;
        this.psl = psl;
    }

    /** Asks every zone about the client's address, all at once. Results in zone order. */
    public CompletableFuture<List<ListResult>> checkClient(InetAddress client, List<String> zones) {
        String reversed = DnsResolver.reversed(client);
        String subject = client.getHostAddress();
        List<CompletableFuture<ListResult>> pending = new ArrayList<>();
        for (String zone : zones) {
            String z = DnsResolver.normalize(zone);
            pending.add(
                    dns.lookup(reversed + "." + z, RecordType.A)
                            .thenApply(a -> result(z, subject, a)));
        }
        return all(pending);
    }

    /** What a URI list check asked, and the hosts it left out for the per-message cap. */
    public record UriCheck(List<ListResult> results, List<String> notChecked) {
        public UriCheck {
            results = List.copyOf(results);
            notChecked = List.copyOf(notChecked);
        }
    }

    /**
     * Asks every zone about each host's registrable domain (or IPv4 address), first come first
     * asked, at most {@code maxLookups} questions; the subjects past the cap are named in {@link
     * UriCheck#notChecked()}. Public suffixes themselves and malformed names are skipped.
     */
    public CompletableFuture<UriCheck> checkHosts(
            Collection<String> hosts, List<String> zones, int maxLookups) {
        Set<String> subjects = new LinkedHashSet<>();
        for (String h : hosts) {
            subject(h).ifPresent(subjects::add);
        }
        List<CompletableFuture<ListResult>> pending = new ArrayList<>();
        List<String> notChecked = new ArrayList<>();
        int asked = 0;
        for (String subject : subjects) {
            if (zones.isEmpty()) {
                break;
            }
            if (asked + zones.size() > maxLookups) {
                notChecked.add(subject);
                continue;
            }
            String name = queryName(subject);
            for (String zone : zones) {
                String z = DnsResolver.normalize(zone);
                pending.add(
                        dns.lookup(name + "." + z, RecordType.A)
                                .thenApply(a -> result(z, subject, a)));
                asked++;
            }
        }
        return all(pending).thenApply(r -> new UriCheck(r, notChecked));
    }

    /** The registrable domain of a host name, or an IPv4 literal as is. */
    private Optional<String> subject(String host) {
        String h = DnsResolver.normalize(host.strip());
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (DOTTED_QUAD.matcher(h).matches()) {
            try {
                return Optional.of(InetAddress.ofLiteral(h).getHostAddress());
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        if (!DomainNames.isName(h.toLowerCase(Locale.ROOT))) {
            return Optional.empty();
        }
        return psl.registrableDomain(h);
    }

    private static String queryName(String subject) {
        if (DIGITS_AND_DOTS.matcher(subject).matches()) {
            InetAddress a = InetAddress.ofLiteral(subject);
            if (a instanceof Inet4Address) {
                return DnsResolver.reversed(a);
            }
        }
        return subject;
    }

    static ListResult result(String zone, String subject, DnsAnswer a) {
        if (a.isTemporaryFailure()) {
            return new ListResult(zone, subject, Status.TEMPERROR, List.of(), a.describe());
        }
        if (a.isEmpty()) {
            return new ListResult(zone, subject, Status.NOT_LISTED, List.of(), "");
        }
        List<String> codes = new ArrayList<>();
        for (InetAddress code : a.addresses()) {
            byte[] b = code.getAddress();
            if (b.length != 4 || (b[0] & 0xff) != 127) {
                return new ListResult(
                        zone,
                        subject,
                        Status.TEMPERROR,
                        List.of(),
                        "not a list answer: " + code.getHostAddress());
            }
            if ((b[1] & 0xff) == 255 && (b[2] & 0xff) == 255) {
                return new ListResult(
                        zone,
                        subject,
                        Status.TEMPERROR,
                        List.of(),
                        "list refused the query: " + code.getHostAddress());
            }
            codes.add(code.getHostAddress());
        }
        codes.sort(null);
        return new ListResult(zone, subject, Status.LISTED, codes, String.join(",", codes));
    }

    private static CompletableFuture<List<ListResult>> all(
            List<CompletableFuture<ListResult>> pending) {
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                .thenApply(v -> pending.stream().map(CompletableFuture::join).toList());
    }
}
