package dev.bulwark.policy;

import dev.bulwark.check.RelayDomains;
import dev.bulwark.check.rules.Cidrs;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.PathSyntaxException;
import dev.bulwark.envelope.Paths;

import java.util.Locale;

/**
 * What a list holds, decided by where it is used. Each kind checks an entry and gives its canonical
 * form (what the digest covers and what lookups use).
 */
enum ListKind {
    CIDR("CIDR"),
    DOMAIN("domain"),
    ADDRESS("address or domain"),
    EXTENSION("file extension"),
    CONTENT_TYPE("content type");

    final String label;

    ListKind(String label) {
        this.label = label;
    }

    /** The canonical entry, or why the entry is not valid: {@code Result}. */
    record Result(String canonical, String error) {
        static Result ok(String canonical) {
            return new Result(canonical, null);
        }

        static Result bad(String error) {
            return new Result(null, error);
        }

        boolean isOk() {
            return error == null;
        }
    }

    Result check(String entry) {
        return switch (this) {
            case CIDR -> cidr(entry);
            case DOMAIN -> domain(entry);
            case ADDRESS -> address(entry);
            case EXTENSION -> extension(entry);
            case CONTENT_TYPE -> contentType(entry);
        };
    }

    private static Result cidr(String entry) {
        return switch (Cidrs.parse(entry)) {
            case Cidrs.Parsed.Ok ok -> Result.ok(Cidrs.format(ok.network()));
            case Cidrs.Parsed.HostBits hb ->
                    Result.bad(
                            "'"
                                    + entry
                                    + "' has host bits set (did you mean '"
                                    + Cidrs.format(hb.network())
                                    + "'?)");
            case Cidrs.Parsed.Bad bad ->
                    Result.bad("'" + entry + "' is not a CIDR: " + bad.reason());
        };
    }

    static Result domain(String entry) {
        if (entry.startsWith("*.")) {
            return Result.bad(
                    "'"
                            + entry
                            + "' is not a domain: write '"
                            + entry.substring(1)
                            + "' to match every subdomain of "
                            + entry.substring(2));
        }
        boolean parent = entry.startsWith(".");
        String d = parent ? entry.substring(1) : entry;
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (d.startsWith("[") || Cidrs.literal(d) != null) {
            return Result.bad("'" + entry + "' is an address, not a domain");
        }
        if (!Paths.isDomain(d)) {
            return Result.bad("'" + entry + "' is not a valid domain");
        }
        String ascii = RelayDomains.normalize(d);
        if (!Paths.isDomain(ascii) || ascii.chars().anyMatch(c -> c >= 0x80)) {
            return Result.bad("'" + entry + "' is not a valid internationalized domain");
        }
        // Recipients are judged as written and must be canonical (ADR 0015): an entry that only a
        // mapping turns into a domain would match none of them, or another domain than it says.
        if (RelayDomains.nonCanonical(d).isPresent()) {
            return Result.bad(
                    "'"
                            + entry
                            + "' is not written in canonical form: IDNA maps it to '"
                            + java.net.IDN.toUnicode(ascii)
                            + "'; write the domain as mail is addressed to it");
        }
        return Result.ok((parent ? "." : "") + ascii);
    }

    private static Result address(String entry) {
        if (entry.startsWith("@")) {
            return Result.bad(
                    "'"
                            + entry
                            + "' is not an address: write '"
                            + entry.substring(1)
                            + "' for the whole domain");
        }
        if (entry.indexOf('@') < 0) {
            return domain(entry);
        }
        try {
            Mailbox m = Mailbox.of(entry);
            if (m.hasAddressLiteral()) {
                return Result.bad(
                        "'"
                                + entry
                                + "' has an address literal; list the domain-less address instead");
            }
            Result d = domain(m.domain());
            if (!d.isOk()) {
                return d;
            }
            return Result.ok(
                    (m.unquotedLocalPart() + "@" + d.canonical()).toLowerCase(Locale.ROOT));
        } catch (PathSyntaxException e) {
            return Result.bad("'" + entry + "' is not a valid address: " + e.getMessage());
        }
    }

    private static Result extension(String entry) {
        String e = entry.startsWith(".") ? entry.substring(1) : entry;
        e = e.toLowerCase(Locale.ROOT);
        if (e.indexOf('.') >= 0) {
            return Result.bad(
                    "'"
                            + entry
                            + "' is not a file extension: the extension is what follows the last"
                            + " dot ('"
                            + e.substring(e.lastIndexOf('.') + 1)
                            + "')");
        }
        if (e.isEmpty()
                || !e.chars()
                        .allMatch(
                                c ->
                                        Character.isLetterOrDigit(c)
                                                || c == '-'
                                                || c == '_'
                                                || c == '~'
                                                || c == '$'
                                                || c == '!')) {
            return Result.bad("'" + entry + "' is not a file extension");
        }
        return Result.ok(e);
    }

    private static Result contentType(String entry) {
        String t = entry.toLowerCase(Locale.ROOT);
        int slash = t.indexOf('/');
        if (slash <= 0 || slash == t.length() - 1 || t.indexOf('/', slash + 1) >= 0) {
            return Result.bad(
                    "'" + entry + "' is not a content type: write type/subtype or type/*");
        }
        String type = t.substring(0, slash);
        String sub = t.substring(slash + 1);
        if (!token(type) || !(sub.equals("*") || token(sub))) {
            return Result.bad(
                    "'" + entry + "' is not a content type: write type/subtype or type/*");
        }
        return Result.ok(t);
    }

    private static boolean token(String s) {
        return !s.isEmpty()
                && s.chars()
                        .allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?=*".indexOf(c) < 0);
    }
}
