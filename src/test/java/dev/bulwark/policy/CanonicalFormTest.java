package dev.bulwark.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * No field of the policy can be left out of the canonical form, and so out of the digest (ADR
 * 0004): in a policy that uses every declaration, changing any component of any declaration record
 * changes that record's canonical form, unless the component is a position or is marked {@link
 * NotCanonical} with a reason. A new field that is not rendered fails here.
 */
class CanonicalFormTest {

    /** Every declaration, every operand kind, every optional part present, no value a default. */
    static final String KITCHEN_SINK =
            """
            language: 1
            relay-domains: ours
            quarantine: quarantine@example.com
            limits:
              message-size: 20MiB
              recipients: 50
              command-line: 600
              data-line: 900
              header-bytes: 64KiB
              command-timeout: 2m
              data-timeout: 5m
              connections: 500
              connections-per-client: 10
              commands: 5000
              errors: 10
            integrity: {interval: 1m, on-mismatch: report}
            thresholds: {tag: 4, quarantine: 8, reject: 12}
            tag:
              subject-prefix: "[SPAM] "
              headers: {X-Spam-Flag: "YES", X-Spam-Rules: "{rules}"}
            classifier:
              model: 7bee13dcc20bf8dba246c18e9910872133ed368bbed0a67c80bb4562298a1f00
              algorithm: robinson-fisher
              minimum-count: 3
              folds: 4
              bar: {spam-recall: 0.9, ham-false-positives: 0.01}
            public-suffixes:
              sha256: 5e0b0b5bd8f6b3a9b8bd4d0e2e4a3f4c9b4f4bdb1b7a5f1f6a2c3d4e5f60718a
            lists:
              ours: [example.com, .example.net]
              blocked: [192.0.2.0/24, 2001:db8::/32]
            rate-limits:
              - id: bytes-per-subnet
                description: not part of the digest
                stage: data
                key: client-subnet
                prefix: {ipv4: 16, ipv6: 48}
                capacity: 1GiB
                period: 1h
                cost: bytes
                scope: fleet
                shadow: true
            rules:
              connect:
                - id: blocked
                  description: not part of the digest
                  when: {client-ip-in: blocked}
                  action: reject
                  reply: "Go away"
                - id: listed
                  when: {dnsbl: {zone: bl.example, codes: [127.0.0.2, 127.0.0.4]}}
                  score: 3
              helo:
                - id: shape
                  when: {helo-is: bare-ip, helo-matches: {pattern: '^x', case-sensitive: true}}
                  score: 1.5
                  shadow: true
              mail:
                - id: null-sender
                  when:
                    any:
                      - sender-null: true
                      - sender-in: [bad@example.org, example.biz]
                  score: 4
                - id: forged
                  when: {spf: {result: [fail, softfail], domain: example.org}}
                  score: 2
              data:
                - id: offer
                  when:
                    all:
                      - subject-contains: {text: Offer, case-sensitive: true}
                      - not: {header-present: List-Id}
                      - header-matches: {header: X-Mailer, pattern: bulk, case-sensitive: true}
                      - size-over: 1MiB
                      - attachment-extension-in: [exe, scr]
                      - dkim: {result: pass, domain: example.org}
                      - dmarc: [fail, reject]
                      - uribl: {zone: uribl.example, codes: [127.0.0.2]}
                      - classifier: {above: 0.5, below: 0.99}
                  action: tag
                  tag:
                    subject-prefix: "[OFFER] "
                    headers: {X-Offer: "yes", X-Score: "{score}"}
            """;

    @Test
    void everyComponentOfEveryDeclarationReachesTheCanonicalForm() throws Exception {
        Problems problems = new Problems();
        PolicyDecl policy =
                PolicyReader.read(PolicySource.canonical("sink.yaml", KITCHEN_SINK), problems)
                        .orElseThrow();
        Checked checked = PolicyChecker.check(policy, problems);
        assertThat(problems.sorted()).as("the kitchen-sink policy compiles cleanly").isEmpty();

        Map<Class<?>, Set<String>> covered = new LinkedHashMap<>();
        List<String> missed = new ArrayList<>();
        List<Object> records = new ArrayList<>();
        collect(policy, records);
        for (Object r : records) {
            Function<Object, Object> render =
                    r instanceof PolicyDecl
                            ? p -> ((PolicyDecl) p).canonical(checked.usedLists())
                            : d -> ((Declaration) d).canonical();
            Object original = render.apply(r);
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                if (exempt(c)) {
                    continue;
                }
                Optional<Object> changed = mutate(c.getAccessor().invoke(r));
                if (changed.isEmpty()) {
                    continue; // an empty optional or list: another instance must cover it
                }
                Object copy = with(r, c, changed.get());
                boolean differs;
                try {
                    differs = !Objects.equals(render.apply(copy), original);
                } catch (RuntimeException e) {
                    differs = true; // it cannot be rendered without the component: it is used
                }
                String name = r.getClass().getSimpleName() + "." + c.getName();
                if (differs) {
                    covered.computeIfAbsent(r.getClass(), k -> new TreeSet<>()).add(c.getName());
                } else {
                    missed.add(name + " (in " + original + ")");
                }
            }
        }
        assertThat(missed).as("components that do not change the canonical form").isEmpty();

        Set<Class<?>> types = new LinkedHashSet<>();
        declarationTypes(Declaration.class, types);
        types.add(PolicyDecl.class);
        for (Class<?> type : types) {
            Set<String> expected = new TreeSet<>();
            for (RecordComponent c : type.getRecordComponents()) {
                if (!exempt(c)) {
                    expected.add(c.getName());
                }
            }
            assertThat(covered.getOrDefault(type, Set.of()))
                    .as("components of %s changed in the kitchen-sink policy", type.getSimpleName())
                    .isEqualTo(expected);
        }
    }

    @Test
    void componentsLeftOutOfTheCanonicalFormSayWhy() {
        Set<Class<?>> types = new LinkedHashSet<>();
        declarationTypes(Declaration.class, types);
        types.add(PolicyDecl.class);
        for (Class<?> type : types) {
            for (RecordComponent c : type.getRecordComponents()) {
                NotCanonical n = c.getAnnotation(NotCanonical.class);
                if (n != null) {
                    assertThat(n.value()).as(type.getSimpleName() + "." + c.getName()).isNotBlank();
                }
            }
        }
    }

    private static boolean exempt(RecordComponent c) {
        return c.getType() == Pos.class || c.isAnnotationPresent(NotCanonical.class);
    }

    /** Every record type of the sealed declaration hierarchy. */
    private static void declarationTypes(Class<?> type, Set<Class<?>> into) {
        if (type.isRecord()) {
            into.add(type);
        }
        Class<?>[] permitted = type.getPermittedSubclasses();
        if (permitted != null) {
            for (Class<?> p : permitted) {
                declarationTypes(p, into);
            }
        }
    }

    /** The declaration records in a tree of records, optionals and lists. */
    private static void collect(Object v, List<Object> into) throws Exception {
        switch (v) {
            case Optional<?> o when o.isPresent() -> collect(o.get(), into);
            case List<?> l -> {
                for (Object e : l) {
                    collect(e, into);
                }
            }
            case Located<?> l -> {}
            case MatcherRow<?, ?> m -> {}
            case Record r -> {
                if (r instanceof Declaration || r instanceof PolicyDecl) {
                    into.add(r);
                }
                for (RecordComponent c : r.getClass().getRecordComponents()) {
                    collect(c.getAccessor().invoke(r), into);
                }
            }
            default -> {}
        }
    }

    /** A different value of the same type, when there is an obvious one. */
    private static Optional<Object> mutate(Object v) throws Exception {
        return switch (v) {
            case Optional<?> o -> o.isPresent() ? Optional.of(Optional.empty()) : Optional.empty();
            case List<?> l ->
                    l.isEmpty()
                            ? Optional.empty()
                            : Optional.of(List.copyOf(l.subList(0, l.size() - 1)));
            case String s -> Optional.of(s + "x");
            case Boolean b -> Optional.of(!b);
            case BigDecimal d -> Optional.of(d.add(BigDecimal.ONE));
            case Long l -> Optional.of(l + 1);
            case Duration d -> Optional.of(d.plusSeconds(1));
            case Enum<?> e -> {
                Object[] all = e.getDeclaringClass().getEnumConstants();
                yield Optional.of(all[(e.ordinal() + 1) % all.length]);
            }
            case Located<?> l -> mutate(l.value()).map(m -> new Located<>(m, l.text(), l.pos()));
            case Record r -> {
                for (RecordComponent c : r.getClass().getRecordComponents()) {
                    if (exempt(c)) {
                        continue;
                    }
                    Optional<Object> m = mutate(c.getAccessor().invoke(r));
                    if (m.isPresent()) {
                        yield Optional.of(with(r, c, m.get()));
                    }
                }
                yield Optional.empty();
            }
            default -> Optional.empty();
        };
    }

    /** A copy of a record with one component replaced. */
    private static Object with(Object r, RecordComponent replaced, Object value) throws Exception {
        RecordComponent[] cs = r.getClass().getRecordComponents();
        Class<?>[] types = new Class<?>[cs.length];
        Object[] args = new Object[cs.length];
        for (int i = 0; i < cs.length; i++) {
            types[i] = cs[i].getType();
            args[i] =
                    cs[i].getName().equals(replaced.getName())
                            ? value
                            : cs[i].getAccessor().invoke(r);
        }
        Constructor<?> k = r.getClass().getDeclaredConstructor(types);
        k.setAccessible(true);
        return k.newInstance(args);
    }
}
