package dev.bulwark.policy;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A matcher's operand as written, one record per shape ({@link Operands} reads and checks them);
 * {@code relay-domains} is a list operand too.
 */
sealed interface OperandDecl extends Declaration {

    /** Where the operand was written. */
    Pos pos();

    /** A list operand: a list's name, or its entries written in place. */
    sealed interface ListRef extends OperandDecl {
        ListKind kind();
    }

    record NamedList(@NotCanonical("set by the matcher") ListKind kind, Located<String> name)
            implements ListRef {
        @Override
        public Pos pos() {
            return name.pos();
        }

        /** The name: the list's entries are under {@code lists} in the canonical form. */
        @Override
        public Object canonical() {
            return name.value();
        }
    }

    record InlineList(
            @NotCanonical("set by the matcher") ListKind kind,
            Pos pos,
            List<Located<String>> entries)
            implements ListRef {
        public InlineList {
            entries = List.copyOf(entries);
        }

        /** The entries normalized for the kind, sorted, without duplicates. */
        @Override
        public Object canonical() {
            return ListTable.normalized(kind, entries);
        }
    }

    /** A pattern, written plainly or as {@code {pattern: P, case-sensitive: B}}. */
    record Pattern(Located<String> pattern, boolean caseSensitive) implements OperandDecl {
        @Override
        public Pos pos() {
            return pattern.pos();
        }

        @Override
        public Object canonical() {
            return cased("pattern", pattern.value(), caseSensitive);
        }
    }

    /** A text, written plainly or as {@code {text: T, case-sensitive: B}}. */
    record Text(Located<String> text, boolean caseSensitive) implements OperandDecl {
        @Override
        public Pos pos() {
            return text.pos();
        }

        @Override
        public Object canonical() {
            return cased("text", text.value(), caseSensitive);
        }
    }

    /** A header name. */
    record Header(Located<String> header) implements OperandDecl {
        @Override
        public Pos pos() {
            return header.pos();
        }

        /** Header names compare without regard to case: lower case. */
        @Override
        public Object canonical() {
            return headerName(header.value());
        }
    }

    /** {@code {header: NAME, pattern: P, case-sensitive: B}}. */
    record HeaderPattern(
            Pos pos, Located<String> header, Located<String> pattern, boolean caseSensitive)
            implements OperandDecl {
        @Override
        public Object canonical() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("header", headerName(header.value()));
            c.putAll(cased("pattern", pattern.value(), caseSensitive));
            return c;
        }
    }

    /** A word from a fixed set (a HELO shape). */
    record Word(Located<String> word) implements OperandDecl {
        @Override
        public Pos pos() {
            return word.pos();
        }

        @Override
        public Object canonical() {
            return word.value();
        }
    }

    /** {@code true} or {@code false}. */
    record Flag(Located<Boolean> flag) implements OperandDecl {
        @Override
        public Pos pos() {
            return flag.pos();
        }

        @Override
        public Object canonical() {
            return flag.value();
        }
    }

    /** A size in bytes. */
    record Size(Located<Long> size) implements OperandDecl {
        @Override
        public Pos pos() {
            return size.pos();
        }

        @Override
        public Object canonical() {
            return size.value();
        }
    }

    /**
     * Result words of an authentication matcher, and the domain the result must be for: {@code
     * fail}, {@code [fail, softfail]}, {@code {result: pass, domain: example.com}}.
     */
    record AuthResults(Pos pos, List<Located<String>> results, Optional<Located<String>> domain)
            implements OperandDecl {
        public AuthResults {
            results = List.copyOf(results);
        }

        /** The words sorted, without duplicates; the domain lower case without a final dot. */
        @Override
        public Object canonical() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put(
                    "result",
                    new ArrayList<>(new TreeSet<>(results.stream().map(Located::value).toList())));
            domain.ifPresent(
                    d -> c.put("domain", dev.bulwark.dns.DnsResolver.normalize(d.value().trim())));
            return c;
        }
    }

    /** A DNS list's zone and the return codes that count: {@code {zone: Z, codes: [...]}}. */
    record DnsList(Located<String> zone, List<Located<String>> codes) implements OperandDecl {
        public DnsList {
            codes = List.copyOf(codes);
        }

        @Override
        public Pos pos() {
            return zone.pos();
        }

        /** The zone lower case without a final dot; the codes sorted, without duplicates. */
        @Override
        public Object canonical() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("zone", dev.bulwark.dns.DnsResolver.normalize(zone.value().trim()));
            c.put(
                    "codes",
                    new ArrayList<>(
                            new TreeSet<>(
                                    codes.stream()
                                            .map(
                                                    x ->
                                                            AuthOperands.returnCode(x.value())
                                                                    .orElse(x.value()))
                                            .toList())));
            return c;
        }
    }

    /**
     * A range of the classifier's spam probability: {@code {above: P}}, {@code {below: P}} or both.
     */
    record Probability(
            Pos pos, Optional<Located<BigDecimal>> above, Optional<Located<BigDecimal>> below)
            implements OperandDecl {
        @Override
        public Object canonical() {
            Map<String, Object> c = new LinkedHashMap<>();
            above.ifPresent(a -> c.put("above", a.value()));
            below.ifPresent(b -> c.put("below", b.value()));
            return c;
        }
    }

    private static Map<String, Object> cased(String field, String value, boolean caseSensitive) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put(field, value);
        c.put("case-sensitive", caseSensitive);
        return c;
    }

    /** A header name as matchers use it: trimmed, lower case. */
    static String headerName(String written) {
        return written.trim().toLowerCase(Locale.ROOT);
    }
}
