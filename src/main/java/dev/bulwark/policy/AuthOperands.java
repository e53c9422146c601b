package dev.bulwark.policy;

import dev.bulwark.dns.DnsResolver;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The operand kinds of the sender authentication and DNS list matchers: result words ({@code spf:
 * fail}, {@code dkim: {result: pass, domain: example.com}}) and DNS list zones ({@code dnsbl:
 * {zone: bl.example, codes: [127.0.0.2]}}).
 */
final class AuthOperands {
    private AuthOperands() {}

    /** A checked result operand: the words and, if given, the domain the result must be for. */
    record Results(Set<String> words, Optional<String> domain) {}

    /** A checked list operand: the zone (lower case, no final dot) and the codes (any if empty). */
    record ListZone(String zone, Set<String> codes) {}

    /**
     * {@code W}, {@code [W, ...]} or {@code {result: W or [W, ...], domain: D}}: words of a fixed
     * set; an unknown word is an error naming the set (with a "did you mean").
     */
    static Operand<OperandDecl.AuthResults, Results> results(String label, List<String> words) {
        return new Operand<>() {
            @Override
            public String label() {
                return label;
            }

            @Override
            public Class<OperandDecl.AuthResults> type() {
                return OperandDecl.AuthResults.class;
            }

            @Override
            public Optional<OperandDecl.AuthResults> read(Node v, String matcher, Problems p) {
                String what = "'" + matcher + "'";
                Node results = v;
                Optional<Located<String>> domain = Optional.empty();
                if (v instanceof MappingNode) {
                    Map<String, Yaml.Entry> m =
                            Yaml.mapping(v, what, Yaml.keys("result", "domain"), p).orElse(null);
                    if (m == null) {
                        return Optional.empty();
                    }
                    if (!m.containsKey("result")) {
                        p.error(Yaml.pos(v), what + " needs a 'result'");
                        return Optional.empty();
                    }
                    results = m.get("result").value();
                    if (m.containsKey("domain")) {
                        domain = Values.readString(m.get("domain").value(), "'domain'", p);
                        if (domain.isEmpty()) {
                            return Optional.empty();
                        }
                    }
                }
                List<Located<String>> read = words(results, what, p);
                return read.isEmpty()
                        ? Optional.empty()
                        : Optional.of(new OperandDecl.AuthResults(Yaml.pos(v), read, domain));
            }

            @Override
            public Optional<Results> check(OperandDecl.AuthResults d, String matcher, Checks c) {
                boolean ok = true;
                Set<String> out = new LinkedHashSet<>();
                for (Located<String> w : d.results()) {
                    if (!words.contains(w.value())) {
                        c.problems()
                                .error(
                                        w.pos(),
                                        "unknown "
                                                + label
                                                + " '"
                                                + w.value()
                                                + "'"
                                                + Suggest.didYouMean(w.value(), words)
                                                + ": one of "
                                                + String.join(", ", words));
                        ok = false;
                    }
                    out.add(w.value());
                }
                Optional<String> domain = Optional.empty();
                if (d.domain().isPresent()) {
                    domain = domainName(d.domain().get(), "a domain", c.problems());
                    ok &= domain.isPresent();
                }
                return ok ? Optional.of(new Results(out, domain)) : Optional.empty();
            }
        };
    }

    /** {@code ZONE} or {@code {zone: ZONE, codes: [127.0.0.2, ...]}}. */
    static final Operand<OperandDecl.DnsList, ListZone> LIST_ZONE =
            new Operand<>() {
                @Override
                public String label() {
                    return "{zone: ZONE, codes: [127.0.0.N, ...]}";
                }

                @Override
                public Class<OperandDecl.DnsList> type() {
                    return OperandDecl.DnsList.class;
                }

                @Override
                public Optional<OperandDecl.DnsList> read(Node v, String matcher, Problems p) {
                    String what = "'" + matcher + "'";
                    if (!(v instanceof MappingNode)) {
                        return Values.readString(v, what, p)
                                .map(z -> new OperandDecl.DnsList(z, List.of()));
                    }
                    Map<String, Yaml.Entry> m =
                            Yaml.mapping(v, what, Yaml.keys("zone", "codes"), p).orElse(null);
                    if (m == null) {
                        return Optional.empty();
                    }
                    if (!m.containsKey("zone")) {
                        p.error(Yaml.pos(v), what + " needs a 'zone'");
                        return Optional.empty();
                    }
                    Optional<Located<String>> zone =
                            Values.readString(m.get("zone").value(), "'zone'", p);
                    List<Located<String>> codes = List.of();
                    if (m.containsKey("codes")) {
                        codes = words(m.get("codes").value(), "'codes'", p);
                        if (codes.isEmpty()) {
                            return Optional.empty();
                        }
                    }
                    List<Located<String>> c = codes;
                    return zone.map(z -> new OperandDecl.DnsList(z, c));
                }

                @Override
                public Optional<ListZone> check(OperandDecl.DnsList d, String matcher, Checks c) {
                    Optional<String> zone = domainName(d.zone(), "a DNS list zone", c.problems());
                    boolean ok = zone.isPresent();
                    Set<String> codes = new LinkedHashSet<>();
                    for (Located<String> code : d.codes()) {
                        Optional<String> a = returnCode(code.value());
                        if (a.isEmpty()) {
                            c.problems()
                                    .error(
                                            code.pos(),
                                            "'"
                                                    + code.value()
                                                    + "' is not a DNS list return code: expected"
                                                    + " an address in 127.0.0.0/8 such as"
                                                    + " 127.0.0.2");
                            ok = false;
                        } else {
                            codes.add(a.get());
                        }
                    }
                    return ok ? Optional.of(new ListZone(zone.get(), codes)) : Optional.empty();
                }
            };

    /** A return code as lists answer them: an IPv4 address in 127/8, in its usual form. */
    static Optional<String> returnCode(String text) {
        if (!text.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            return Optional.empty();
        }
        try {
            InetAddress a = InetAddress.ofLiteral(text);
            return a instanceof Inet4Address && (a.getAddress()[0] & 0xff) == 127
                    ? Optional.of(a.getHostAddress())
                    : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** A domain name as DNS compares it: lower case, no final dot. */
    static Optional<String> domainName(Located<String> written, String what, Problems p) {
        String n = DnsResolver.normalize(written.value().trim());
        if (n.length() > 253
                || !n.matches("[a-z0-9_]([a-z0-9_-]{0,62})(\\.[a-z0-9_]([a-z0-9_-]{0,62}))*")) {
            p.error(
                    written.pos(),
                    "'"
                            + written.value()
                            + "' is not "
                            + what
                            + ": expected a name such as"
                            + " example.com");
            return Optional.empty();
        }
        return Optional.of(n);
    }

    /** One word or a sequence of words; empty (with a problem) if any is not a string. */
    private static List<Located<String>> words(Node n, String what, Problems p) {
        List<Located<String>> out = new ArrayList<>();
        if (n instanceof SequenceNode) {
            List<Node> items = Yaml.sequence(n, what, p).orElse(List.of());
            if (items.isEmpty()) {
                p.error(Yaml.pos(n), what + " needs at least one value");
                return List.of();
            }
            for (Node item : items) {
                Optional<Located<String>> w = Values.readString(item, what, p);
                if (w.isEmpty()) {
                    return List.of();
                }
                out.add(w.get());
            }
            return out;
        }
        return Values.readString(n, what, p).map(List::of).orElse(List.of());
    }
}
