package dev.bulwark.auth.spf;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** A parsed SPF record (RFC 7208 section 4.6 and 12): its mechanisms in order and modifiers. */
record SpfRecord(List<Directive> directives, Optional<String> redirect, Optional<String> exp) {

    // Compiled once: String.matches compiles its pattern at every call, on every message.
    private static final Pattern ALL_DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern MODIFIER_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]*");
    private static final Pattern NUMBER = Pattern.compile("0|[1-9][0-9]{0,2}");
    private static final Pattern SPACES = Pattern.compile(" +");
    private static final Pattern TOP_LABEL =
            Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?");

    /** A mechanism's qualifier and the result it gives on a match. */
    enum Qualifier {
        PASS,
        FAIL,
        SOFTFAIL,
        NEUTRAL
    }

    enum Kind {
        ALL,
        INCLUDE,
        A,
        MX,
        PTR,
        IP4,
        IP6,
        EXISTS
    }

    /**
     * One mechanism: its qualifier, kind, domain-spec (unexpanded, may be empty), network (ip4 and
     * ip6) and prefix lengths (a, mx, ip4, ip6).
     */
    record Directive(
            Qualifier qualifier,
            Kind kind,
            String domainSpec,
            InetAddress network,
            int cidr4,
            int cidr6,
            String text) {

        /** Mechanisms that ask DNS, and so count towards the limit of 10 (RFC 7208 4.6.4). */
        boolean countsLookup() {
            return kind == Kind.INCLUDE
                    || kind == Kind.A
                    || kind == Kind.MX
                    || kind == Kind.PTR
                    || kind == Kind.EXISTS;
        }
    }

    static final class SyntaxError extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxError(String message) {
            super(message);
        }
    }

    /** True for a TXT record that is an SPF version 1 record (RFC 7208 section 4.5). */
    static boolean isSpf(String txt) {
        return txt.length() >= 6
                && txt.substring(0, 6).equalsIgnoreCase("v=spf1")
                && (txt.length() == 6 || txt.charAt(6) == ' ');
    }

    /** Parses a whole record: any syntax error anywhere is a permerror (RFC 7208 4.6). */
    static SpfRecord parse(String txt) throws SyntaxError {
        String[] terms = SPACES.split(txt.substring(6).trim());
        List<Directive> directives = new ArrayList<>();
        Optional<String> redirect = Optional.empty();
        Optional<String> exp = Optional.empty();
        for (String term : terms) {
            if (term.isEmpty()) {
                continue;
            }
            int eq = term.indexOf('=');
            int colon = term.indexOf(':');
            int slash = term.indexOf('/');
            boolean modifier =
                    eq > 0
                            && (colon < 0 || eq < colon)
                            && (slash < 0 || eq < slash)
                            && MODIFIER_NAME.matcher(term.substring(0, eq)).matches();
            if (modifier) {
                String name = term.substring(0, eq).toLowerCase(Locale.ROOT);
                String value = term.substring(eq + 1);
                Macro.checkSyntax(value, false);
                switch (name) {
                    case "redirect" -> {
                        if (redirect.isPresent()) {
                            throw new SyntaxError("redirect= appears twice");
                        }
                        checkDomainSpec(value, term);
                        redirect = Optional.of(value);
                    }
                    case "exp" -> {
                        if (exp.isPresent()) {
                            throw new SyntaxError("exp= appears twice");
                        }
                        checkDomainSpec(value, term);
                        exp = Optional.of(value);
                    }
                    default -> {
                        // unknown modifiers are ignored (RFC 7208 6)
                    }
                }
                continue;
            }
            directives.add(directive(term));
        }
        return new SpfRecord(directives, redirect, exp);
    }

    private static Directive directive(String term) throws SyntaxError {
        Qualifier q = Qualifier.PASS;
        String t = term;
        switch (t.charAt(0)) {
            case '+' -> t = t.substring(1);
            case '-' -> {
                q = Qualifier.FAIL;
                t = t.substring(1);
            }
            case '~' -> {
                q = Qualifier.SOFTFAIL;
                t = t.substring(1);
            }
            case '?' -> {
                q = Qualifier.NEUTRAL;
                t = t.substring(1);
            }
            default -> {
                // no qualifier: pass
            }
        }
        int end = 0;
        while (end < t.length() && Character.isLetterOrDigit(t.charAt(end))) {
            end++;
        }
        String name = t.substring(0, end).toLowerCase(Locale.ROOT);
        String rest = t.substring(end);
        Kind kind;
        try {
            kind = Kind.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new SyntaxError("unknown mechanism '" + term + "'");
        }
        switch (kind) {
            case ALL -> {
                if (!rest.isEmpty()) {
                    throw new SyntaxError("'all' takes no argument: '" + term + "'");
                }
                return new Directive(q, kind, "", null, 32, 128, term);
            }
            case INCLUDE, EXISTS -> {
                if (!rest.startsWith(":") || rest.length() == 1) {
                    throw new SyntaxError("'" + name + "' needs a domain: '" + term + "'");
                }
                String spec = rest.substring(1);
                Macro.checkSyntax(spec, false);
                checkDomainSpec(spec, term);
                return new Directive(q, kind, spec, null, 32, 128, term);
            }
            case A, MX, PTR -> {
                String spec = "";
                String cidrs = rest;
                if (rest.startsWith(":")) {
                    int s = rest.indexOf('/');
                    spec = s < 0 ? rest.substring(1) : rest.substring(1, s);
                    cidrs = s < 0 ? "" : rest.substring(s);
                    if (spec.isEmpty()) {
                        throw new SyntaxError("empty domain in '" + term + "'");
                    }
                    Macro.checkSyntax(spec, false);
                    checkDomainSpec(spec, term);
                }
                int[] lengths = {32, 128};
                if (!cidrs.isEmpty()) {
                    if (kind == Kind.PTR) {
                        throw new SyntaxError("'ptr' takes no prefix length: '" + term + "'");
                    }
                    lengths = dualCidr(cidrs, term);
                }
                return new Directive(q, kind, spec, null, lengths[0], lengths[1], term);
            }
            case IP4, IP6 -> {
                if (!rest.startsWith(":")) {
                    throw new SyntaxError("'" + name + "' needs a network: '" + term + "'");
                }
                String net = rest.substring(1);
                int s = net.indexOf('/');
                String addr = s < 0 ? net : net.substring(0, s);
                int max = kind == Kind.IP4 ? 32 : 128;
                int len = s < 0 ? max : number(net.substring(s + 1), max, term);
                InetAddress a;
                try {
                    a = InetAddress.ofLiteral(addr);
                } catch (IllegalArgumentException e) {
                    throw new SyntaxError("'" + addr + "' is not an address in '" + term + "'");
                }
                if ((a instanceof Inet4Address) != (kind == Kind.IP4) || addr.contains("%")) {
                    throw new SyntaxError(
                            "'" + addr + "' is not an IPv" + (max == 32 ? 4 : 6) + " address");
                }
                return new Directive(
                        q,
                        kind,
                        "",
                        a,
                        kind == Kind.IP4 ? len : 32,
                        kind == Kind.IP6 ? len : 128,
                        term);
            }
        }
        throw new SyntaxError("unknown mechanism '" + term + "'");
    }

    /** "/24", "//64" or "/24//64". */
    private static int[] dualCidr(String text, String term) throws SyntaxError {
        int v4 = 32;
        int v6 = 128;
        String rest = text;
        if (rest.startsWith("/") && !rest.startsWith("//")) {
            int next = rest.indexOf("//");
            String n = next < 0 ? rest.substring(1) : rest.substring(1, next);
            v4 = number(n, 32, term);
            rest = next < 0 ? "" : rest.substring(next);
        }
        if (rest.startsWith("//")) {
            v6 = number(rest.substring(2), 128, term);
            rest = "";
        }
        if (!rest.isEmpty()) {
            throw new SyntaxError("bad prefix length in '" + term + "'");
        }
        return new int[] {v4, v6};
    }

    private static int number(String n, int max, String term) throws SyntaxError {
        // RFC 7208 4.6.1: no leading zeros, 0 to 32 or 128.
        if (!NUMBER.matcher(n).matches() || Integer.parseInt(n) > max) {
            throw new SyntaxError("bad prefix length '" + n + "' in '" + term + "'");
        }
        return Integer.parseInt(n);
    }

    /**
     * A domain-spec ends in a top label (letters, digits, hyphens, not all digits) or a macro (RFC
     * 7208 section 4.6.1 / 7.1 "domain-end").
     */
    private static void checkDomainSpec(String spec, String term) throws SyntaxError {
        String s = spec.endsWith(".") ? spec.substring(0, spec.length() - 1) : spec;
        if (s.endsWith("}")) {
            return;
        }
        int dot = s.lastIndexOf('.');
        String top = s.substring(dot + 1);
        if (dot < 0 || !TOP_LABEL.matcher(top).matches() || ALL_DIGITS.matcher(top).matches()) {
            throw new SyntaxError("'" + spec + "' is not a domain in '" + term + "'");
        }
    }
}
