package dev.bulwark.auth.spf;

import dev.bulwark.auth.SpfResult;
import dev.bulwark.auth.SpfResult.Identity;
import dev.bulwark.auth.SpfResult.Result;
import dev.bulwark.dns.DnsAnswer;
import dev.bulwark.dns.DnsResolver;
import dev.bulwark.dns.RecordType;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * SPF (RFC 7208): check_host() for the MAIL FROM and HELO identities, with every mechanism and
 * modifier, macros, the limit of 10 DNS-querying terms and of 2 void lookups, and the seven
 * results, each with the reason.
 *
 * <p>An evaluation runs on its own virtual thread and waits for each answer in turn (the lookups of
 * one record depend on each other; mx and ptr ask for their addresses together): the returned
 * future is the SMTP dialogue's to wait on when it needs the result, not before. The whole
 * evaluation has one time budget; past it the result is temperror. DNS timeouts and server failures
 * are temperror, never fail (RFC 7208 section 2.6.6).
 */
public final class SpfEvaluator {

    // Compiled once: String.matches compiles its pattern at every call, on every message.
    private static final Pattern DIGITS_AND_DOTS = Pattern.compile("[0-9.]+");

    /** RFC 7208 section 4.6.4. */
    static final int MAX_LOOKUPS = 10;

    static final int MAX_VOID_LOOKUPS = 2;
    static final int MAX_MX_OR_PTR_NAMES = 10;

    private static final ExecutorService VIRTUAL = Executors.newVirtualThreadPerTaskExecutor();

    private final DnsResolver dns;
    private final Clock clock;
    private final Duration budget;
    private final String receiver;

    /**
     * @param dns where records come from
     * @param clock for the %{t} macro
     * @param budget the longest one evaluation may take, all lookups included (RFC 7208 section
     *     4.6.4 suggests at least 20 seconds; a relay waiting in the SMTP dialogue wants less)
     * @param receiver our host name, for the %{r} macro
     */
    public SpfEvaluator(DnsResolver dns, Clock clock, Duration budget, String receiver) {
        this.dns = dns;
        this.clock = clock;
        this.budget = budget;
        this.receiver = receiver;
    }

    /**
     * Checks the MAIL FROM identity.
     *
     * @param client the SMTP client's address
     * @param helo the HELO/EHLO name
     * @param sender the reverse path's address, or "" for the null reverse path (then
     *     postmaster@HELO is checked, RFC 7208 section 2.4)
     */
    public CompletableFuture<SpfResult> checkMailFrom(
            InetAddress client, String helo, String sender) {
        String s = sender.isEmpty() ? "postmaster@" + helo : sender;
        int at = s.lastIndexOf('@');
        String domain = at < 0 ? s : s.substring(at + 1);
        if (at == 0) {
            s = "postmaster" + s; // "@domain": no local part
        }
        return run(client, helo, s, domain, Identity.MAILFROM);
    }

    /** Checks the HELO identity (RFC 7208 section 2.3); an address literal gives none. */
    public CompletableFuture<SpfResult> checkHelo(InetAddress client, String helo) {
        return run(client, helo, "postmaster@" + helo, helo, Identity.HELO);
    }

    private CompletableFuture<SpfResult> run(
            InetAddress client, String helo, String sender, String domain, Identity identity) {
        String d = DnsResolver.normalize(domain);
        return CompletableFuture.supplyAsync(
                        () -> {
                            Evaluation e = new Evaluation(client, helo, sender, identity);
                            return e.checkHost(d);
                        },
                        VIRTUAL)
                .exceptionally(
                        t ->
                                new SpfResult(
                                        Result.TEMPERROR,
                                        identity,
                                        d,
                                        "evaluation failed: " + t.getCause()))
                .completeOnTimeout(
                        new SpfResult(
                                Result.TEMPERROR,
                                identity,
                                d,
                                "no result within " + budget.toMillis() + " ms"),
                        budget.toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    /** One check_host() run and the nested ones of its includes and redirects. */
    private final class Evaluation {
        final InetAddress ip;
        final String helo;
        final String sender;
        final Identity identity;
        int lookups;
        int voids;
        final Deque<String> stack = new ArrayDeque<>();
        String validatedName;

        Evaluation(InetAddress ip, String helo, String sender, Identity identity) {
            this.ip = ip;
            this.helo = helo;
            this.sender = sender;
            this.identity = identity;
        }

        SpfResult result(Result r, String domain, String reason) {
            return new SpfResult(r, identity, domain, reason);
        }

        /** RFC 7208 section 4. */
        SpfResult checkHost(String domain) {
            if (!validDomain(domain)) {
                return result(Result.NONE, domain, "'" + domain + "' is not a valid domain name");
            }
            DnsAnswer answer = lookup(domain, RecordType.TXT);
            if (answer.isTemporaryFailure()) {
                return result(
                        Result.TEMPERROR, domain, "TXT of " + domain + ": " + answer.describe());
            }
            List<String> records = answer.texts().stream().filter(SpfRecord::isSpf).toList();
            if (records.isEmpty()) {
                return result(Result.NONE, domain, "no SPF record at " + domain);
            }
            if (records.size() > 1) {
                return result(Result.PERMERROR, domain, "more than one SPF record at " + domain);
            }
            SpfRecord record;
            try {
                record = SpfRecord.parse(records.get(0));
            } catch (SpfRecord.SyntaxError e) {
                return result(
                        Result.PERMERROR,
                        domain,
                        "bad SPF record at " + domain + ": " + e.getMessage());
            }
            stack.push(domain);
            try {
                return evaluate(domain, record);
            } catch (Abort a) {
                return result(a.result, domain, a.reason);
            } finally {
                stack.pop();
            }
        }

        private SpfResult evaluate(String domain, SpfRecord record) throws Abort {
            for (SpfRecord.Directive d : record.directives()) {
                if (d.countsLookup()) {
                    countLookup(d.text());
                }
                if (matches(d, domain)) {
                    Result r =
                            switch (d.qualifier()) {
                                case PASS -> Result.PASS;
                                case FAIL -> Result.FAIL;
                                case SOFTFAIL -> Result.SOFTFAIL;
                                case NEUTRAL -> Result.NEUTRAL;
                            };
                    String reason = "matched " + d.text() + " at " + domain;
                    if (r == Result.FAIL && record.exp().isPresent()) {
                        return new SpfResult(
                                r,
                                identity,
                                domain,
                                reason,
                                explanation(record.exp().get(), domain));
                    }
                    return result(r, domain, reason);
                }
            }
            if (record.redirect().isPresent()) {
                countLookup("redirect=" + record.redirect().get());
                String target = expandDomain(record.redirect().get(), domain);
                if (stack.contains(target)) {
                    throw new Abort(Result.PERMERROR, "redirect loop at " + target);
                }
                SpfResult r = checkHost(target);
                if (r.result() == Result.NONE) {
                    return result(
                            Result.PERMERROR, domain, "redirect=" + target + " has no SPF record");
                }
                return r;
            }
            return result(Result.NEUTRAL, domain, "no mechanism matched at " + domain);
        }

        private boolean matches(SpfRecord.Directive d, String domain) throws Abort {
            switch (d.kind()) {
                case ALL -> {
                    return true;
                }
                case IP4, IP6 -> {
                    return inNetwork(
                            ip, d.network(), ip instanceof Inet4Address ? d.cidr4() : d.cidr6());
                }
                case INCLUDE -> {
                    String target = expandDomain(d.domainSpec(), domain);
                    if (stack.contains(target)) {
                        throw new Abort(
                                Result.PERMERROR, "include loop: " + target + " includes itself");
                    }
                    SpfResult r = checkHost(target);
                    return switch (r.result()) {
                        case PASS -> true;
                        case FAIL, SOFTFAIL, NEUTRAL -> false;
                        case TEMPERROR ->
                                throw new Abort(
                                        Result.TEMPERROR, "include:" + target + ": " + r.reason());
                        case PERMERROR ->
                                throw new Abort(
                                        Result.PERMERROR, "include:" + target + ": " + r.reason());
                        case NONE ->
                                throw new Abort(
                                        Result.PERMERROR,
                                        "include:" + target + " has no SPF record");
                    };
                }
                case A -> {
                    String target =
                            d.domainSpec().isEmpty()
                                    ? domain
                                    : expandDomain(d.domainSpec(), domain);
                    DnsAnswer a = lookupCounted(target, addressType(), d.text());
                    return anyInNetwork(a.addresses(), d);
                }
                case MX -> {
                    String target =
                            d.domainSpec().isEmpty()
                                    ? domain
                                    : expandDomain(d.domainSpec(), domain);
                    DnsAnswer mx = lookupCounted(target, RecordType.MX, d.text());
                    List<String> hosts = mx.hosts().stream().filter(h -> !h.isEmpty()).toList();
                    if (hosts.size() > MAX_MX_OR_PTR_NAMES) {
                        throw new Abort(
                                Result.PERMERROR,
                                d.text() + ": " + hosts.size() + " MX records, the limit is 10");
                    }
                    List<CompletableFuture<DnsAnswer>> pending = new ArrayList<>();
                    for (String h : hosts) {
                        pending.add(dns.lookup(h, addressType()));
                    }
                    for (int i = 0; i < pending.size(); i++) {
                        DnsAnswer a = pending.get(i).join();
                        if (a.isTemporaryFailure()) {
                            throw new Abort(
                                    Result.TEMPERROR,
                                    d.text()
                                            + ": "
                                            + addressType()
                                            + " of "
                                            + hosts.get(i)
                                            + ": "
                                            + a.describe());
                        }
                        if (anyInNetwork(a.addresses(), d)) {
                            return true;
                        }
                    }
                    return false;
                }
                case PTR -> {
                    String target =
                            d.domainSpec().isEmpty()
                                    ? domain
                                    : expandDomain(d.domainSpec(), domain);
                    for (String name : validatedNames()) {
                        if (name.equals(target) || name.endsWith("." + target)) {
                            return true;
                        }
                    }
                    return false;
                }
                case EXISTS -> {
                    String target = expandDomain(d.domainSpec(), domain);
                    DnsAnswer a = lookupCounted(target, RecordType.A, d.text());
                    return !a.addresses().isEmpty();
                }
            }
            return false;
        }

        private RecordType addressType() {
            return ip instanceof Inet4Address ? RecordType.A : RecordType.AAAA;
        }

        private boolean anyInNetwork(List<InetAddress> addresses, SpfRecord.Directive d) {
            for (InetAddress a : addresses) {
                if (inNetwork(ip, a, ip instanceof Inet4Address ? d.cidr4() : d.cidr6())) {
                    return true;
                }
            }
            return false;
        }

        /**
         * A lookup of a mechanism: a timeout or server failure ends the evaluation with temperror;
         * an empty answer counts as a void lookup, and a third one is permerror.
         */
        private DnsAnswer lookupCounted(String name, RecordType type, String term) throws Abort {
            DnsAnswer a = lookup(name, type);
            if (a.isTemporaryFailure()) {
                throw new Abort(
                        Result.TEMPERROR, term + ": " + type + " of " + name + ": " + a.describe());
            }
            if (a.isEmpty()) {
                voids++;
                if (voids > MAX_VOID_LOOKUPS) {
                    throw new Abort(
                            Result.PERMERROR,
                            "more than "
                                    + MAX_VOID_LOOKUPS
                                    + " void lookups (the last: "
                                    + term
                                    + ")");
                }
            }
            return a;
        }

        private DnsAnswer lookup(String name, RecordType type) {
            return dns.lookup(name, type).join();
        }

        private void countLookup(String term) throws Abort {
            lookups++;
            if (lookups > MAX_LOOKUPS) {
                throw new Abort(
                        Result.PERMERROR,
                        "more than "
                                + MAX_LOOKUPS
                                + " DNS-querying terms (the 11th: "
                                + term
                                + ")");
            }
        }

        /**
         * The client's validated host names (RFC 7208 section 5.5): PTR names whose addresses
         * include the client; at most 10 names are tried, DNS errors skip a name.
         */
        private List<String> validatedNames() {
            DnsAnswer ptr = lookup(DnsResolver.reverseName(ip), RecordType.PTR);
            List<String> names = ptr.hosts();
            if (names.size() > MAX_MX_OR_PTR_NAMES) {
                names = names.subList(0, MAX_MX_OR_PTR_NAMES);
            }
            List<CompletableFuture<DnsAnswer>> pending = new ArrayList<>();
            for (String n : names) {
                pending.add(dns.lookup(n, addressType()));
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                if (pending.get(i).join().addresses().contains(ip)) {
                    out.add(names.get(i));
                }
            }
            return out;
        }

        private Macro.Values values(String domain) {
            return new Macro.Values(
                    sender,
                    domain,
                    ip,
                    helo,
                    receiver,
                    clock.instant().getEpochSecond(),
                    () -> {
                        if (validatedName == null) {
                            List<String> names = validatedNames();
                            validatedName =
                                    names.stream()
                                            .filter(
                                                    n ->
                                                            n.equals(domain)
                                                                    || n.endsWith("." + domain))
                                            .findFirst()
                                            .orElse(names.isEmpty() ? "unknown" : names.get(0));
                        }
                        return validatedName;
                    });
        }

        /**
         * Expands a domain-spec; a name longer than 253 octets loses labels on the left (RFC 7208
         * section 7.3).
         */
        private String expandDomain(String spec, String domain) throws Abort {
            String name;
            try {
                name = Macro.expand(spec, values(domain), false);
            } catch (SpfRecord.SyntaxError e) {
                throw new Abort(Result.PERMERROR, e.getMessage());
            }
            name = DnsResolver.normalize(name);
            while (name.length() > 253 && name.indexOf('.') > 0) {
                name = name.substring(name.indexOf('.') + 1);
            }
            return name;
        }

        /** The exp= text on fail; any problem gives no explanation (RFC 7208 section 6.2). */
        private String explanation(String spec, String domain) {
            try {
                String name = expandDomain(spec, domain);
                DnsAnswer a = lookup(name, RecordType.TXT);
                List<String> texts = a.texts();
                if (texts.size() != 1) {
                    return "";
                }
                String text = Macro.expand(texts.get(0), values(domain), true);
                return text.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? text : "";
            } catch (Abort | SpfRecord.SyntaxError e) {
                return "";
            }
        }
    }

    /** Ends an evaluation early with a result (temperror, permerror). */
    private static final class Abort extends Exception {
        private static final long serialVersionUID = 1L;
        final Result result;
        final String reason;

        Abort(Result result, String reason) {
            super(reason, null, false, false);
            this.result = result;
            this.reason = reason;
        }
    }

    /** RFC 7208 section 4.3: labels of 1 to 63 octets, at least two labels, 253 octets at most. */
    static boolean validDomain(String d) {
        if (d.isEmpty() || d.length() > 253 || !d.contains(".")) {
            return false;
        }
        for (String label : d.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                return false;
            }
        }
        // An address literal is not a domain: a HELO of [192.0.2.1] or 192.0.2.1 has no SPF.
        return !d.startsWith("[") && !DIGITS_AND_DOTS.matcher(d).matches() && !d.contains(":");
    }

    static boolean inNetwork(InetAddress ip, InetAddress network, int prefix) {
        byte[] a = ip.getAddress();
        byte[] n = network.getAddress();
        if (a.length != n.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != n[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (a[full] & mask) == (n[full] & mask);
    }
}
