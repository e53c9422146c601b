package dev.bulwark.auth.dkim;

import dev.bulwark.auth.DkimResult;
import dev.bulwark.auth.DkimResult.Result;
import dev.bulwark.auth.DomainNames;
import dev.bulwark.auth.HeaderBlock;
import dev.bulwark.auth.HeaderField;
import dev.bulwark.auth.MessageSource;
import dev.bulwark.auth.TagList;
import dev.bulwark.dns.DnsAnswer;
import dev.bulwark.dns.DnsResolver;
import dev.bulwark.dns.RecordType;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Verifies a message's DKIM signatures (RFC 6376) with RSA-SHA256 and Ed25519-SHA256 (RFC 8463) on
 * the JDK's own crypto. The message is read once as a stream: the header block (bounded) is kept,
 * the body is canonicalized and hashed as it passes, once per distinct canonicalization and length,
 * and never held whole. Key lookups start as soon as the signatures are read, beside the body
 * hashing. At most {@code maxSignatures} signatures (from the top) are verified; the others are
 * reported as one neutral result naming their count, so that a message with a thousand signatures
 * costs no more than one with five and the skipped ones are still visible.
 *
 * <p>Results: pass; fail when the body hash or the signature does not match; policy when the l= tag
 * leaves part of the body unsigned (ADR 0013); permerror for what cannot be verified (a malformed
 * signature or key, rsa-sha1 (RFC 8301), an RSA key under 1024 bits, an expired signature, no key,
 * a revoked key); temperror when the key's DNS lookup times out or fails.
 */
public final class DkimVerifier {

    // Compiled once: String.matches compiles its pattern at every call, on every message.
    private static final Pattern FOLDING_WHITESPACE = Pattern.compile("[ \t\r\n]");
    private static final Pattern LENGTH = Pattern.compile("[0-9]{1,76}");
    private static final Pattern TIME = Pattern.compile("[0-9]{1,12}");

    /** Bounds of one verification. */
    public record Limits(
            int maxSignatures, int maxHeaderBytes, int maxHeaderFields, Duration budget) {
        public static final Limits DEFAULT = new Limits(5, 256 * 1024, 1000, Duration.ofSeconds(5));
    }

    private static final ExecutorService VIRTUAL = Executors.newVirtualThreadPerTaskExecutor();
    private static final byte[] ED25519_SPKI_PREFIX =
            java.util.HexFormat.of().parseHex("302a300506032b6570032100");
    private static final byte[] RSA_SPKI_ALGORITHM =
            java.util.HexFormat.of().parseHex("300d06092a864886f70d0101010500");

    private final DnsResolver dns;
    private final Clock clock;
    private final Limits limits;

    public DkimVerifier(DnsResolver dns, Clock clock, Limits limits) {
        this.dns = dns;
        this.clock = clock;
        this.limits = limits;
    }

    /**
     * Every signature's result, top to bottom; one {@link DkimResult#none()} when the message has
     * no signature. The future never fails: an unreadable message gives permerror, a key lookup
     * past the budget temperror.
     */
    public CompletableFuture<List<DkimResult>> verify(MessageSource message) {
        return CompletableFuture.supplyAsync(() -> verifyNow(message), VIRTUAL)
                .completeOnTimeout(
                        List.of(
                                new DkimResult(
                                        Result.TEMPERROR,
                                        "",
                                        "",
                                        "",
                                        "",
                                        "no result within " + limits.budget().toMillis() + " ms",
                                        false)),
                        limits.budget().toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    private List<DkimResult> verifyNow(MessageSource message) {
        try (InputStream in = new BufferedInputStream(message.open(), 65536)) {
            List<HeaderField> fields =
                    HeaderBlock.read(in, limits.maxHeaderBytes(), limits.maxHeaderFields());
            List<Integer> positions = new ArrayList<>();
            int beyond = 0;
            for (int i = 0; i < fields.size(); i++) {
                if (fields.get(i).key().equals("dkim-signature")) {
                    if (positions.size() < limits.maxSignatures()) {
                        positions.add(i);
                    } else {
                        beyond++;
                    }
                }
            }
            if (positions.isEmpty()) {
                return List.of(DkimResult.none());
            }
            List<Check> checks = new ArrayList<>();
            for (int p : positions) {
                checks.add(prepare(fields.get(p)));
            }
            Map<BodyKey, BodyHasher> hashers = new LinkedHashMap<>();
            for (Check c : checks) {
                if (c.sig != null) {
                    hashers.computeIfAbsent(
                            new BodyKey(c.sig.bodyRelaxed, c.sig.length),
                            k -> new BodyHasher(k.relaxed, k.length));
                }
            }
            if (!hashers.isEmpty()) {
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) > 0) {
                    for (BodyHasher h : hashers.values()) {
                        h.update(buf, 0, n);
                    }
                }
            }
            Map<BodyKey, byte[]> bodyHashes = new HashMap<>();
            Map<BodyKey, Long> lengths = new HashMap<>();
            hashers.forEach(
                    (k, h) -> {
                        bodyHashes.put(k, h.finish());
                        lengths.put(k, h.canonicalLength());
                    });
            List<DkimResult> out = new ArrayList<>();
            for (int i = 0; i < checks.size(); i++) {
                Check c = checks.get(i);
                if (c.early != null) {
                    out.add(c.early);
                    continue;
                }
                BodyKey k = new BodyKey(c.sig.bodyRelaxed, c.sig.length);
                out.add(finish(c, fields, positions.get(i), bodyHashes.get(k), lengths.get(k)));
            }
            if (beyond > 0) {
                // Reported, not silently dropped: the audit record and Authentication-Results
                // say that signatures went unverified (neutral: no opinion on them).
                out.add(
                        new DkimResult(
                                Result.NEUTRAL,
                                "",
                                "",
                                "",
                                "",
                                beyond
                                        + " more signature"
                                        + (beyond == 1 ? "" : "s")
                                        + " not verified: at most "
                                        + limits.maxSignatures()
                                        + " are",
                                false));
            }
            return out;
        } catch (HeaderBlock.TooLarge e) {
            return List.of(new DkimResult(Result.PERMERROR, "", "", "", "", e.getMessage(), false));
        } catch (IOException e) {
            return List.of(
                    new DkimResult(
                            Result.TEMPERROR,
                            "",
                            "",
                            "",
                            "",
                            "cannot read the message: " + e,
                            false));
        }
    }

    private record BodyKey(boolean relaxed, long length) {}

    /** A parsed signature and its key lookup in flight, or the result that ended it early. */
    private record Check(Sig sig, CompletableFuture<DnsAnswer> key, DkimResult early) {}

    /** The tags of one DKIM-Signature that verification uses. */
    private record Sig(
            String domain,
            String selector,
            String algorithm,
            boolean ed25519,
            boolean headerRelaxed,
            boolean bodyRelaxed,
            List<String> headers,
            byte[] bodyHash,
            byte[] signature,
            String signatureText,
            String identity,
            long length) {}

    private static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    private Check prepare(HeaderField field) {
        TagList tags;
        try {
            tags = TagList.parse(field.value());
        } catch (TagList.Malformed e) {
            return new Check(
                    null, null, error("", "", "", "", "malformed signature: " + e.getMessage()));
        }
        String d = tags.lower("d").orElse("");
        String s = tags.lower("s").orElse("");
        String a = tags.lower("a").orElse("");
        String b = tags.get("b").map(DkimVerifier::noWhitespace).orElse("");
        try {
            Sig sig = signature(tags, d, s, a, b);
            return new Check(sig, dns.lookup(s + "._domainkey." + d, RecordType.TXT), null);
        } catch (Invalid e) {
            return new Check(null, null, error(d, s, a, b, e.getMessage()));
        }
    }

    private static DkimResult error(String d, String s, String a, String b, String reason) {
        return new DkimResult(Result.PERMERROR, d, s, a, b, reason, false);
    }

    private Sig signature(TagList t, String d, String s, String a, String b) throws Invalid {
        for (String required : List.of("v", "a", "b", "bh", "d", "h", "s")) {
            if (t.get(required).isEmpty()) {
                throw new Invalid("signature lacks the " + required + "= tag");
            }
        }
        if (!t.get("v").get().equals("1")) {
            throw new Invalid("unknown signature version v=" + t.get("v").get());
        }
        boolean ed25519;
        switch (a) {
            case "rsa-sha256" -> ed25519 = false;
            case "ed25519-sha256" -> ed25519 = true;
            case "rsa-sha1" -> throw new Invalid("rsa-sha1 is not accepted (RFC 8301)");
            default -> throw new Invalid("unknown algorithm a=" + a);
        }
        String c = t.lower("c").orElse("simple/simple");
        String[] cs = c.split("/", -1);
        if (cs.length > 2 || !isCanon(cs[0]) || (cs.length == 2 && !isCanon(cs[1]))) {
            throw new Invalid("unknown canonicalization c=" + c);
        }
        boolean headerRelaxed = cs[0].equals("relaxed");
        boolean bodyRelaxed = cs.length == 2 && cs[1].equals("relaxed");
        List<String> headers = new ArrayList<>();
        for (String h : t.get("h").get().split(":")) {
            String name = h.strip().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                throw new Invalid("empty header name in h=");
            }
            headers.add(name);
        }
        if (!headers.contains("from")) {
            throw new Invalid("h= does not sign From");
        }
        if (!DomainNames.isName(d) || !DomainNames.isLabels(s)) {
            throw new Invalid("bad d= or s=");
        }
        String identity = t.get("i").orElse("@" + d);
        String iDomain = identity.substring(identity.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
        if (!identity.contains("@") || !(iDomain.equals(d) || iDomain.endsWith("." + d))) {
            throw new Invalid("i= " + identity + " is not in d= " + d);
        }
        if (t.get("q").isPresent() && !t.lower("q").get().startsWith("dns/txt")) {
            throw new Invalid("unknown query method q=" + t.get("q").get());
        }
        long length = -1;
        if (t.get("l").isPresent()) {
            String l = t.get("l").get();
            if (!LENGTH.matcher(l).matches() || l.length() > 18) {
                throw new Invalid("bad body length l=" + l);
            }
            length = Long.parseLong(l);
        }
        if (t.get("x").isPresent()) {
            long x = epoch(t.get("x").get(), "x");
            if (x < clock.instant().getEpochSecond()) {
                throw new Invalid("signature expired");
            }
            if (t.get("t").isPresent() && x < epoch(t.get("t").get(), "t")) {
                throw new Invalid("x= is before t=");
            }
        }
        byte[] bh;
        byte[] sig;
        try {
            bh = Base64.getDecoder().decode(noWhitespace(t.get("bh").get()));
            sig = Base64.getDecoder().decode(b);
        } catch (IllegalArgumentException e) {
            throw new Invalid("bad base64 in bh= or b=");
        }
        return new Sig(
                d,
                s,
                a,
                ed25519,
                headerRelaxed,
                bodyRelaxed,
                List.copyOf(headers),
                bh,
                sig,
                b,
                identity,
                length);
    }

    private static long epoch(String v, String tag) throws Invalid {
        if (!TIME.matcher(v).matches()) {
            throw new Invalid("bad timestamp " + tag + "=" + v);
        }
        return Long.parseLong(v);
    }

    private static boolean isCanon(String c) {
        return c.equals("simple") || c.equals("relaxed");
    }

    private static String noWhitespace(String s) {
        return FOLDING_WHITESPACE.matcher(s).replaceAll("");
    }

    private DkimResult finish(
            Check c, List<HeaderField> fields, int position, byte[] bodyHash, long bodyLength) {
        Sig s = c.sig;
        DnsAnswer answer = c.key.join();
        if (answer.isTemporaryFailure()) {
            return result(s, Result.TEMPERROR, "key lookup: " + answer.describe(), false);
        }
        if (answer.texts().isEmpty()) {
            return result(
                    s,
                    Result.PERMERROR,
                    "no key at " + s.selector + "._domainkey." + s.domain,
                    false);
        }
        Key key;
        try {
            key = key(answer.texts().get(0), s);
        } catch (Invalid e) {
            return result(s, Result.PERMERROR, e.getMessage(), false);
        }
        if (s.length >= 0 && s.length > bodyLength) {
            return result(
                    s, Result.PERMERROR, "l=" + s.length + " is longer than the body", key.testing);
        }
        if (!MessageDigest.isEqual(bodyHash, s.bodyHash)) {
            return result(s, Result.FAIL, "body hash mismatch", key.testing);
        }
        byte[] data = signedData(s, fields, position);
        boolean ok;
        try {
            Signature verifier;
            if (s.ed25519) {
                verifier = Signature.getInstance("Ed25519");
                verifier.initVerify(key.publicKey);
                verifier.update(MessageDigest.getInstance("SHA-256").digest(data));
            } else {
                verifier = Signature.getInstance("SHA256withRSA");
                verifier.initVerify(key.publicKey);
                verifier.update(data);
            }
            ok = verifier.verify(s.signature);
        } catch (GeneralSecurityException e) {
            ok = false;
        }
        if (!ok) {
            return result(s, Result.FAIL, "signature does not verify", key.testing);
        }
        if (s.length >= 0 && s.length < bodyLength) {
            return result(
                    s,
                    Result.POLICY,
                    "l= leaves " + (bodyLength - s.length) + " octets of the body unsigned",
                    key.testing);
        }
        return result(s, Result.PASS, "", key.testing);
    }

    private static DkimResult result(Sig s, Result r, String reason, boolean testing) {
        return new DkimResult(
                r, s.domain, s.selector, s.algorithm, s.signatureText, reason, testing);
    }

    /**
     * What the signature signs: the fields h= names, each taken from the bottom up, canonicalized,
     * then the signature's own field with b= emptied and no final CRLF (RFC 6376 section 3.7).
     */
    static byte[] signedData(Sig s, List<HeaderField> fields, int position) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Set<Integer> used = new HashSet<>();
        for (String name : s.headers) {
            for (int i = fields.size() - 1; i >= 0; i--) {
                if (!used.contains(i) && fields.get(i).key().equals(name)) {
                    used.add(i);
                    HeaderCanon.append(out, fields.get(i), s.headerRelaxed);
                    break;
                }
            }
        }
        out.writeBytes(HeaderCanon.signatureField(fields.get(position), s.headerRelaxed));
        return out.toByteArray();
    }

    private record Key(PublicKey publicKey, boolean testing) {}

    /** Reads a key record (RFC 6376 section 3.6.1) and checks it fits the signature. */
    private static Key key(String record, Sig s) throws Invalid {
        TagList t;
        try {
            t = TagList.parse(record);
        } catch (TagList.Malformed e) {
            throw new Invalid("malformed key record: " + e.getMessage());
        }
        if (t.get("v").isPresent()
                && (!t.get("v").get().equals("DKIM1") || !t.first().equals(Optional.of("v")))) {
            throw new Invalid("key record is not v=DKIM1");
        }
        String k = t.lower("k").orElse("rsa");
        if (!k.equals(s.ed25519 ? "ed25519" : "rsa")) {
            throw new Invalid("key type k=" + k + " does not match a=" + s.algorithm);
        }
        if (t.get("h").isPresent()
                && !List.of(t.lower("h").get().split(":")).stream()
                        .map(String::strip)
                        .toList()
                        .contains("sha256")) {
            throw new Invalid("key does not allow sha256 (h=" + t.get("h").get() + ")");
        }
        if (t.get("s").isPresent()) {
            List<String> services =
                    List.of(t.lower("s").get().split(":")).stream().map(String::strip).toList();
            if (!services.contains("*") && !services.contains("email")) {
                throw new Invalid("key is not for email (s=" + t.get("s").get() + ")");
            }
        }
        List<String> flags =
                t.lower("t")
                        .map(v -> List.of(v.split(":")).stream().map(String::strip).toList())
                        .orElse(List.of());
        if (flags.contains("s")) {
            String iDomain =
                    s.identity.substring(s.identity.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
            if (!iDomain.equals(s.domain)) {
                throw new Invalid("key has t=s but i= is a subdomain of d=");
            }
        }
        String p =
                t.get("p")
                        .map(DkimVerifier::noWhitespace)
                        .orElseThrow(() -> new Invalid("key record lacks p="));
        if (p.isEmpty()) {
            throw new Invalid("key revoked (empty p=)");
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(p);
        } catch (IllegalArgumentException e) {
            throw new Invalid("bad base64 in the key's p=");
        }
        try {
            if (s.ed25519) {
                if (der.length != 32) {
                    throw new Invalid("Ed25519 key is " + der.length + " octets, not 32");
                }
                byte[] spki = new byte[ED25519_SPKI_PREFIX.length + 32];
                System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
                System.arraycopy(der, 0, spki, ED25519_SPKI_PREFIX.length, 32);
                return new Key(
                        KeyFactory.getInstance("Ed25519")
                                .generatePublic(new X509EncodedKeySpec(spki)),
                        flags.contains("y"));
            }
            PublicKey pk;
            try {
                pk = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // Some publish the bare RSAPublicKey (PKCS#1): wrap it in a SubjectPublicKeyInfo.
                pk =
                        KeyFactory.getInstance("RSA")
                                .generatePublic(new X509EncodedKeySpec(spkiOfPkcs1(der)));
            }
            int bits = ((RSAPublicKey) pk).getModulus().bitLength();
            if (bits < 1024) {
                throw new Invalid(
                        "RSA key of " + bits + " bits: at least 1024 are required (RFC 8301)");
            }
            return new Key(pk, flags.contains("y"));
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new Invalid("unreadable public key: " + e.getMessage());
        }
    }

    private static byte[] spkiOfPkcs1(byte[] pkcs1) {
        ByteArrayOutputStream bitString = new ByteArrayOutputStream();
        bitString.write(0);
        bitString.writeBytes(pkcs1);
        byte[] bs = der(0x03, bitString.toByteArray());
        ByteArrayOutputStream seq = new ByteArrayOutputStream();
        seq.writeBytes(RSA_SPKI_ALGORITHM);
        seq.writeBytes(bs);
        return der(0x30, seq.toByteArray());
    }

    private static byte[] der(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 128) {
            out.write(n);
        } else if (n < 256) {
            out.write(0x81);
            out.write(n);
        } else {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n & 0xff);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }
}
