package dev.bulwark.policy;

import dev.bulwark.check.Stage;
import dev.bulwark.ratelimit.LimitSpec;

import org.snakeyaml.engine.v2.nodes.Node;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The read pass for {@code rate-limits:}. */
final class RateLimitReader {

    private static final List<String> STAGES = List.of("connect", "mail", "rcpt", "data");
    private static final Map<String, LimitSpec.Key> KEYS = keys();

    private final Problems problems;

    private RateLimitReader(Problems problems) {
        this.problems = problems;
    }

    private static Map<String, LimitSpec.Key> keys() {
        Map<String, LimitSpec.Key> keys = new LinkedHashMap<>();
        for (LimitSpec.Key k : LimitSpec.Key.values()) {
            keys.put(RateLimitDecl.word(k), k);
        }
        return keys;
    }

    static List<RateLimitDecl> read(Node node, Problems problems) {
        RateLimitReader r = new RateLimitReader(problems);
        List<RateLimitDecl> out = new ArrayList<>();
        Yaml.sequence(node, "'rate-limits'", problems)
                .ifPresent(nodes -> nodes.forEach(n -> r.rateLimit(n).ifPresent(out::add)));
        return out;
    }

    /**
     * A rate limit; nothing when a required key is missing or the id is not a name, since every
     * message about a limit names it.
     */
    private Optional<RateLimitDecl> rateLimit(Node node) {
        Optional<Map<String, Yaml.Entry>> mapping =
                Yaml.mapping(node, "a rate limit", Language.RATE_LIMIT, problems);
        if (mapping.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Yaml.Entry> m = mapping.get();
        Pos pos = Yaml.pos(node);
        boolean complete = true;
        for (String required : List.of("id", "stage", "key", "capacity", "period")) {
            if (!m.containsKey(required)) {
                problems.error(pos, "a rate limit needs '" + required + "'");
                complete = false;
            }
        }
        if (!complete) {
            return Optional.empty();
        }
        Optional<Located<String>> read =
                Values.readString(m.get("id").value(), "a limit id", problems);
        if (read.isEmpty()) {
            return Optional.empty();
        }
        Located<String> id = read.get();
        if (!Language.validName(id.value())) {
            problems.error(
                    id.pos(),
                    "limit id '"
                            + id.value()
                            + "' must be lower-case letters, digits, '-', '_' or '.'");
            return Optional.empty();
        }
        Optional<Located<String>> description =
                m.containsKey("description")
                        ? Values.readString(m.get("description").value(), "a description", problems)
                        : Optional.empty();
        Optional<Located<Stage>> stage = stage(m.get("stage"), id.value());
        Optional<Located<LimitSpec.Key>> key = key(m.get("key"), id.value());

        Optional<RateLimitDecl.Prefix> prefix = Optional.empty();
        if (m.containsKey("prefix")) {
            Yaml.Entry pe = m.get("prefix");
            if (key.isPresent() && key.get().value() != LimitSpec.Key.CLIENT_SUBNET) {
                problems.error(
                        pe.keyPos(),
                        "'prefix' is only for key client-subnet, not " + key.get().text());
                complete = false;
            } else {
                Map<String, Yaml.Entry> p =
                        Yaml.mapping(pe.value(), "'prefix'", Yaml.keys("ipv4", "ipv6"), problems)
                                .orElse(Map.of());
                prefix =
                        Optional.of(
                                new RateLimitDecl.Prefix(
                                        pe.keyPos(), number(p.get("ipv4")), number(p.get("ipv6"))));
            }
        }

        Optional<Located<LimitSpec.Cost>> cost = Optional.empty();
        if (m.containsKey("cost")) {
            Yaml.Entry ce = m.get("cost");
            Optional<Located<String>> c = Values.readString(ce.value(), "'cost'", problems);
            if (c.isPresent()) {
                switch (c.get().value()) {
                    case "count" -> cost = Optional.of(c.get().with(LimitSpec.Cost.COUNT));
                    case "bytes" -> cost = Optional.of(c.get().with(LimitSpec.Cost.BYTES));
                    default -> {
                        problems.error(
                                ce.pos(),
                                "unknown cost '"
                                        + c.get().value()
                                        + "'"
                                        + Suggest.didYouMean(
                                                c.get().value(), List.of("count", "bytes"))
                                        + ": count or bytes");
                        complete = false;
                    }
                }
            }
        }

        Node capacityNode = m.get("capacity").value();
        Optional<Located<BigDecimal>> capacity =
                cost.map(Located::value).orElse(LimitSpec.Cost.COUNT) == LimitSpec.Cost.BYTES
                        ? Values.readSize(capacityNode, "'capacity'", problems)
                                .map(s -> s.with(BigDecimal.valueOf(s.value())))
                        : Values.readNumber(capacityNode, "'capacity'", problems);
        complete &= capacity.isPresent();

        Optional<Located<java.time.Duration>> period =
                Values.readDuration(m.get("period").value(), "'period'", problems);

        Optional<Located<LimitSpec.Scope>> scope = Optional.empty();
        if (m.containsKey("scope")) {
            Yaml.Entry se = m.get("scope");
            Optional<Located<String>> s = Values.readString(se.value(), "'scope'", problems);
            if (s.isPresent()) {
                switch (s.get().value()) {
                    case "local" -> scope = Optional.of(s.get().with(LimitSpec.Scope.LOCAL));
                    case "fleet" -> scope = Optional.of(s.get().with(LimitSpec.Scope.FLEET));
                    default -> {
                        problems.error(
                                se.pos(),
                                "unknown scope '"
                                        + s.get().value()
                                        + "'"
                                        + Suggest.didYouMean(
                                                s.get().value(), List.of("local", "fleet"))
                                        + ": local or fleet");
                        complete = false;
                    }
                }
            }
        }
        Optional<Located<Boolean>> shadow =
                m.containsKey("shadow")
                        ? Values.readBool(m.get("shadow").value(), "'shadow'", problems)
                        : Optional.empty();
        return Optional.of(
                new RateLimitDecl(
                        pos,
                        id,
                        description,
                        stage,
                        key,
                        prefix,
                        capacity,
                        period,
                        cost,
                        scope,
                        shadow,
                        complete && stage.isPresent() && key.isPresent() && period.isPresent()));
    }

    private Optional<Located<Stage>> stage(Yaml.Entry e, String id) {
        Optional<Located<String>> name = Values.readString(e.value(), "'stage'", problems);
        if (name.isEmpty()) {
            return Optional.empty();
        }
        String s = name.get().value();
        if (STAGES.contains(s)) {
            return Optional.of(name.get().with(Stage.valueOf(s.toUpperCase(Locale.ROOT))));
        }
        if (s.equals("helo")) {
            problems.error(
                    e.pos(),
                    "limit '"
                            + id
                            + "': rate limits are counted at connect, mail, rcpt or data, not"
                            + " helo");
        } else {
            problems.error(
                    e.pos(),
                    "unknown stage '"
                            + s
                            + "'"
                            + Suggest.didYouMean(s, STAGES)
                            + " for limit '"
                            + id
                            + "'");
        }
        return Optional.empty();
    }

    private Optional<Located<LimitSpec.Key>> key(Yaml.Entry e, String id) {
        Optional<Located<String>> name = Values.readString(e.value(), "'key'", problems);
        if (name.isEmpty()) {
            return Optional.empty();
        }
        String k = name.get().value();
        LimitSpec.Key key = KEYS.get(k);
        if (key == null) {
            problems.error(
                    e.pos(),
                    "unknown key '"
                            + k
                            + "'"
                            + Suggest.didYouMean(k, KEYS.keySet())
                            + " for limit '"
                            + id
                            + "': one of "
                            + String.join(", ", KEYS.keySet()));
            return Optional.empty();
        }
        return Optional.of(name.get().with(key));
    }

    private Optional<Located<BigDecimal>> number(Yaml.Entry e) {
        return e == null
                ? Optional.empty()
                : Values.readNumber(e.value(), "'" + e.key() + "'", problems);
    }
}
