package dev.bulwark.auth.dmarc;

import dev.bulwark.auth.DkimResult;
import dev.bulwark.auth.DmarcResult;
import dev.bulwark.auth.DmarcResult.Policy;
import dev.bulwark.auth.DmarcResult.Result;
import dev.bulwark.auth.DomainNames;
import dev.bulwark.auth.HeaderBlock;
import dev.bulwark.auth.HeaderField;
import dev.bulwark.auth.MessageSource;
import dev.bulwark.auth.PublicSuffixList;
import dev.bulwark.auth.SpfResult;
import dev.bulwark.auth.TagList;
import dev.bulwark.dns.DnsAnswer;
import dev.bulwark.dns.DnsResolver;
import dev.bulwark.dns.RecordType;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.IDN;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * DMARC (RFC 7489): finds the From domain's policy (at the domain, else at its organizational
 * domain from the Public Suffix List snapshot), checks SPF and DKIM alignment (strict or relaxed),
 * and applies p=, sp= and pct=. The pct= sample is drawn from a hash of the Message-ID, not from a
 * random number, so that the same message always gets the same disposition (the policy gate and
 * {@code check} are reproducible).
 *
 * <p>Call order: {@link #discover} as soon as the From domain is known (at the end of DATA, beside
 * DKIM), then {@link #decide} with SPF's and DKIM's results; {@link #evaluate} does both.
 */
public final class DmarcEvaluator {

    // Compiled once: String.matches compiles its pattern at every call, on every message.
    private static final Pattern PERCENT = Pattern.compile("[0-9]{1,3}");
    private static final Pattern RECORD = Pattern.compile("(?s)v=DMARC1[ \\t]*(;.*)?");

    private static final int MAX_HEADER_BYTES = 256 * 1024;
    private static final int MAX_HEADER_FIELDS = 1000;

    private final DnsResolver dns;
    private final PublicSuffixList psl;

    public DmarcEvaluator(DnsResolver dns, PublicSuffixList psl) {
        this.dns = dns;
        this.psl = psl;
    }

    /** A policy record as found for a From domain. */
    public record Record(
            Policy p, Optional<Policy> sp, int pct, boolean strictDkim, boolean strictSpf) {}

    /**
     * What policy discovery found: a record (and where), no record, or an error.
     *
     * @param fromDomain the From domain
     * @param organizationalDomain its organizational domain
     * @param record the record, if one was found
     * @param atOrganizationalDomain the record came from the organizational domain (sp= applies)
     * @param error temperror when a lookup failed, else empty
     * @param reason for people
     */
    public record Discovery(
            String fromDomain,
            String organizationalDomain,
            Optional<Record> record,
            boolean atOrganizationalDomain,
            Optional<Result> error,
            String reason) {}

    /** Starts policy discovery for a From domain (RFC 7489 section 6.6.3). */
    public CompletableFuture<Discovery> discover(String fromDomain) {
        String from = DnsResolver.normalize(fromDomain);
        String org = psl.organizationalDomain(from);
        return dns.lookup("_dmarc." + from, RecordType.TXT)
                .thenCompose(
                        first -> {
                            if (first.isTemporaryFailure()) {
                                return done(temperror(from, org, first));
                            }
                            Optional<String> rec = select(first);
                            if (rec.isPresent() || org.equals(from)) {
                                return done(parsed(from, org, rec, false));
                            }
                            return dns.lookup("_dmarc." + org, RecordType.TXT)
                                    .thenApply(
                                            second ->
                                                    second.isTemporaryFailure()
                                                            ? temperror(from, org, second)
                                                            : parsed(
                                                                    from,
                                                                    org,
                                                                    select(second),
                                                                    true));
                        });
    }

    private static CompletableFuture<Discovery> done(Discovery d) {
        return CompletableFuture.completedFuture(d);
    }

    private static Discovery temperror(String from, String org, DnsAnswer a) {
        return new Discovery(
                from,
                org,
                Optional.empty(),
                false,
                Optional.of(Result.TEMPERROR),
                "policy lookup: " + a.describe());
    }

    /** The one DMARC record among the TXT records; none when there are none or several. */
    private static Optional<String> select(DnsAnswer a) {
        List<String> records = a.texts().stream().filter(t -> RECORD.matcher(t).matches()).toList();
        return records.size() == 1 ? Optional.of(records.get(0)) : Optional.empty();
    }

    private static Discovery parsed(String from, String org, Optional<String> text, boolean atOrg) {
        String where = atOrg ? "_dmarc." + org : "_dmarc." + from;
        if (text.isEmpty()) {
            return new Discovery(
                    from,
                    org,
                    Optional.empty(),
                    atOrg,
                    Optional.empty(),
                    "no DMARC record for " + from);
        }
        TagList t;
        try {
            t = TagList.parse(text.get());
        } catch (TagList.Malformed e) {
            return new Discovery(
                    from,
                    org,
                    Optional.empty(),
                    atOrg,
                    Optional.empty(),
                    "unreadable record at " + where + ": " + e.getMessage());
        }
        Optional<Policy> p = t.lower("p").flatMap(DmarcEvaluator::policy);
        Optional<Policy> sp = t.lower("sp").flatMap(DmarcEvaluator::policy);
        boolean badSp = t.get("sp").isPresent() && sp.isEmpty();
        if (p.isEmpty() || badSp) {
            // RFC 7489 6.6.3: a record with reporting addresses acts as p=none; otherwise none.
            if (t.get("rua").filter(v -> v.contains(":")).isPresent()) {
                p = Optional.of(Policy.NONE);
                sp = Optional.empty();
            } else {
                return new Discovery(
                        from,
                        org,
                        Optional.empty(),
                        atOrg,
                        Optional.empty(),
                        "record at " + where + " has no valid p=");
            }
        }
        int pct = 100;
        Optional<String> pctText = t.get("pct");
        if (pctText.isPresent()
                && PERCENT.matcher(pctText.get()).matches()
                && Integer.parseInt(pctText.get()) <= 100) {
            pct = Integer.parseInt(pctText.get());
        }
        boolean strictDkim = t.lower("adkim").filter("s"::equals).isPresent();
        boolean strictSpf = t.lower("aspf").filter("s"::equals).isPresent();
        return new Discovery(
                from,
                org,
                Optional.of(new Record(p.get(), sp, pct, strictDkim, strictSpf)),
                atOrg,
                Optional.empty(),
                "record at " + where);
    }

    private static Optional<Policy> policy(String v) {
        return switch (v) {
            case "none" -> Optional.of(Policy.NONE);
            case "quarantine" -> Optional.of(Policy.QUARANTINE);
            case "reject" -> Optional.of(Policy.REJECT);
            default -> Optional.empty();
        };
    }

    /**
     * The DMARC result from what discovery found and what SPF (the MAIL FROM identity) and DKIM
     * gave.
     *
     * @param messageId the Message-ID field's value ("" if none): draws the pct= sample
     */
    public DmarcResult decide(
            Discovery d, Optional<SpfResult> spf, List<DkimResult> dkim, String messageId) {
        if (d.error().isPresent()) {
            return new DmarcResult(
                    d.error().get(),
                    d.fromDomain(),
                    Policy.NONE,
                    Policy.NONE,
                    false,
                    false,
                    d.reason());
        }
        if (d.record().isEmpty()) {
            return new DmarcResult(
                    Result.NONE,
                    d.fromDomain(),
                    Policy.NONE,
                    Policy.NONE,
                    false,
                    false,
                    d.reason());
        }
        Record r = d.record().get();
        boolean spfAligned =
                spf.filter(
                                s ->
                                        s.result() == SpfResult.Result.PASS
                                                && s.identity() == SpfResult.Identity.MAILFROM)
                        .filter(s -> aligned(s.domain(), d.fromDomain(), r.strictSpf()))
                        .isPresent();
        boolean dkimAligned =
                dkim.stream()
                        .anyMatch(
                                k ->
                                        k.result() == DkimResult.Result.PASS
                                                && aligned(
                                                        k.domain(),
                                                        d.fromDomain(),
                                                        r.strictDkim()));
        Policy policy =
                d.atOrganizationalDomain() && !d.fromDomain().equals(d.organizationalDomain())
                        ? r.sp().orElse(r.p())
                        : r.p();
        if (spfAligned || dkimAligned) {
            return new DmarcResult(
                    Result.PASS,
                    d.fromDomain(),
                    policy,
                    Policy.NONE,
                    spfAligned,
                    dkimAligned,
                    (dkimAligned ? "aligned DKIM" : "aligned SPF") + ", " + d.reason());
        }
        Policy disposition = policy;
        String reason = "neither SPF nor DKIM aligned, " + d.reason();
        if (r.pct() < 100 && sample(messageId) >= r.pct()) {
            // RFC 7489 6.6.4: a message outside the sample gets the next milder policy.
            disposition = policy == Policy.REJECT ? Policy.QUARANTINE : Policy.NONE;
            reason += ", outside pct=" + r.pct();
        }
        return new DmarcResult(
                Result.FAIL, d.fromDomain(), policy, disposition, false, false, reason);
    }

    /** Discovery and decision in one: for callers that have everything at once. */
    public CompletableFuture<DmarcResult> evaluate(
            String fromDomain, String messageId, Optional<SpfResult> spf, List<DkimResult> dkim) {
        return discover(fromDomain).thenApply(d -> decide(d, spf, dkim, messageId));
    }

    /**
     * Reads the message's From and Message-ID, then {@link #evaluate}s. A message without exactly
     * one From field with one address (RFC 7489 section 6.6.1) is permerror.
     */
    public CompletableFuture<DmarcResult> evaluate(
            MessageSource message, Optional<SpfResult> spf, List<DkimResult> dkim) {
        List<HeaderField> fields;
        try (InputStream in = new BufferedInputStream(message.open())) {
            fields = HeaderBlock.read(in, MAX_HEADER_BYTES, MAX_HEADER_FIELDS);
        } catch (IOException e) {
            return CompletableFuture.completedFuture(
                    new DmarcResult(
                            Result.PERMERROR,
                            "",
                            Policy.NONE,
                            Policy.NONE,
                            false,
                            false,
                            "cannot read the header: " + e.getMessage()));
        }
        FromDomain from = fromDomain(fields);
        if (from.domain().isEmpty()) {
            return CompletableFuture.completedFuture(
                    new DmarcResult(
                            Result.PERMERROR,
                            "",
                            Policy.NONE,
                            Policy.NONE,
                            false,
                            false,
                            from.problem()));
        }
        String messageId =
                fields.stream()
                        .filter(f -> f.key().equals("message-id"))
                        .map(HeaderField::value)
                        .findFirst()
                        .orElse("");
        return evaluate(from.domain().get(), messageId, spf, dkim);
    }

    /** The RFC5322.From domain, or why there is none. */
    public record FromDomain(Optional<String> domain, String problem) {}

    /** Finds the one From address's domain (RFC 7489 section 6.6.1). */
    public static FromDomain fromDomain(List<HeaderField> fields) {
        List<HeaderField> from = fields.stream().filter(f -> f.key().equals("from")).toList();
        if (from.size() != 1) {
            return new FromDomain(
                    Optional.empty(),
                    from.isEmpty() ? "no From field" : from.size() + " From fields");
        }
        String value = withoutComments(from.get(0).value());
        if (splitsAddresses(value)) {
            return new FromDomain(Optional.empty(), "several From addresses");
        }
        String address = value;
        int lt = value.lastIndexOf('<');
        if (lt >= 0) {
            int gt = value.indexOf('>', lt);
            address = gt < 0 ? value.substring(lt + 1) : value.substring(lt + 1, gt);
        }
        int at = address.lastIndexOf('@');
        // A-labels before lower case: lower-casing the octets of UTF-8 would change them.
        String domain = at < 0 ? "" : aLabels(address.substring(at + 1).strip());
        domain = domain.toLowerCase(Locale.ROOT);
        if (domain.endsWith(".")) {
            domain = domain.substring(0, domain.length() - 1);
        }
        if (!DomainNames.isName(domain)) {
            return new FromDomain(
                    Optional.empty(), "no domain in From: '" + from.get(0).value() + "'");
        }
        return new FromDomain(Optional.of(domain), "");
    }

    /**
     * An internationalized From domain (RFC 6532: UTF-8 in the header, which arrives here as one
     * char per octet) in its A-label form, the form DNS and the Public Suffix List use; the text
     * unchanged when it is ASCII, or not valid UTF-8 or IDNA (it then fails the domain syntax).
     */
    static String aLabels(String domain) {
        // Each character of a name is at least one octet of its A-label form, and UTF-8 has at most
        // four octets a character: anything longer cannot become a name, so IDNA is not run on it.
        if (domain.chars().allMatch(c -> c < 0x80)
                || domain.length() > 4 * DomainNames.MAX_LENGTH) {
            return domain;
        }
        try {
            String unicode =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(domain.getBytes(StandardCharsets.ISO_8859_1)))
                            .toString();
            return IDN.toASCII(unicode, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
        } catch (CharacterCodingException | IllegalArgumentException e) {
            return domain;
        }
    }

    private static String withoutComments(String v) {
        StringBuilder sb = new StringBuilder();
        int depth = 0;
        boolean quoted = false;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length()) {
                if (depth == 0) {
                    sb.append(c).append(v.charAt(i + 1));
                }
                i++;
            } else if (c == '"' && depth == 0) {
                quoted = !quoted;
                sb.append(c);
            } else if (c == '(' && !quoted) {
                depth++;
            } else if (c == ')' && !quoted && depth > 0) {
                depth--;
            } else if (depth == 0) {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** A comma outside quotes and angle brackets separates two addresses. */
    private static boolean splitsAddresses(String v) {
        boolean quoted = false;
        boolean angle = false;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == '<') {
                angle = true;
            } else if (!quoted && c == '>') {
                angle = false;
            } else if (!quoted && !angle && c == ',') {
                return !v.substring(i + 1).isBlank();
            }
        }
        return false;
    }

    private boolean aligned(String authenticated, String from, boolean strict) {
        String a = DnsResolver.normalize(authenticated);
        if (strict) {
            return a.equals(from);
        }
        return psl.organizationalDomain(a).equals(psl.organizationalDomain(from));
    }

    /** 0 to 99 from the Message-ID: the same message always falls on the same side of pct=. */
    static int sample(String messageId) {
        try {
            byte[] h =
                    MessageDigest.getInstance("SHA-256")
                            .digest(messageId.strip().getBytes(StandardCharsets.UTF_8));
            long v =
                    ((h[0] & 0xffL) << 24)
                            | ((h[1] & 0xffL) << 16)
                            | ((h[2] & 0xffL) << 8)
                            | (h[3] & 0xffL);
            return (int) (v % 100);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
