package dev.bulwark.policy;

import dev.bulwark.check.Stage;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.PathSyntaxException;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole policy as the read pass found it: the sections of {@code inbound.yaml} and the list
 * files. A section that is absent or could not be read is empty (limits: every default).
 *
 * @param start where the policy begins
 * @param rules the rules under each stage, stages in the order written
 */
record PolicyDecl(
        Pos start,
        @NotCanonical("only language 1 compiles: the canonical form states the compiler's")
                Optional<Located<BigDecimal>> language,
        LimitsDecl limits,
        IntegrityDecl integrity,
        Optional<OperandDecl.ListRef> relayDomains,
        Optional<Located<String>> quarantine,
        Optional<ThresholdsDecl> thresholds,
        Optional<TagDecl> tag,
        Optional<ClassifierDecl> classifier,
        Optional<Located<String>> publicSuffixes,
        @NotCanonical("covered as their uses resolved them: the usedLists of canonical(...)")
                List<ListDecl> lists,
        List<RateLimitDecl> rateLimits,
        List<StageRules> rules) {

    PolicyDecl {
        lists = List.copyOf(lists);
        rateLimits = List.copyOf(rateLimits);
        rules = List.copyOf(rules);
    }

    /** The rules listed under one stage. */
    record StageRules(Located<Stage> stage, List<RuleDecl> rules) {
        StageRules {
            rules = List.copyOf(rules);
        }
    }

    /** The same policy with another classifier section (the one naming its trained model). */
    PolicyDecl withClassifier(ClassifierDecl k) {
        return new PolicyDecl(
                start,
                language,
                limits,
                integrity,
                relayDomains,
                quarantine,
                thresholds,
                tag,
                Optional.of(k),
                publicSuffixes,
                lists,
                rateLimits,
                rules);
    }

    /** The same policy naming its Public Suffix List snapshot by SHA-256. */
    PolicyDecl withPublicSuffixes(Located<String> sha256) {
        return new PolicyDecl(
                start,
                language,
                limits,
                integrity,
                relayDomains,
                quarantine,
                thresholds,
                tag,
                classifier,
                Optional.of(sha256),
                lists,
                rateLimits,
                rules);
    }

    /** The quarantine mailbox (for a checked declaration). */
    Optional<Mailbox> quarantineMailbox() {
        return quarantine.map(
                q -> {
                    try {
                        return Mailbox.of(q.value().trim());
                    } catch (PathSyntaxException e) {
                        throw new IllegalStateException("unchecked quarantine mailbox", e);
                    }
                });
    }

    /**
     * The canonical form of the policy (ADR 0004), given the lists its rules use with their entries
     * normalized: a language version; every limit; the integrity settings; relay domains;
     * quarantine mailbox; thresholds; the tag settings (defaults explicit); the classifier, if any;
     * the Public Suffix List snapshot by SHA-256, if any; rate limits in order; rules per stage,
     * all stages, in order; the used lists by name. Keys in this order.
     */
    Map<String, Object> canonical(Map<String, List<String>> usedLists) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("language", (long) Language.VERSION);
        c.put("limits", limits.canonical());
        c.put("integrity", integrity.canonical());
        relayDomains.ifPresent(r -> c.put("relay-domains", r.canonical()));
        quarantineMailbox().ifPresent(m -> c.put("quarantine", m.address()));
        thresholds.ifPresent(t -> c.put("thresholds", t.canonical()));
        c.put("tag", tag.orElse(TagDecl.DEFAULT).canonical());
        classifier.ifPresent(k -> c.put("classifier", k.canonical()));
        publicSuffixes.ifPresent(
                s -> c.put("public-suffixes", new LinkedHashMap<>(Map.of("sha256", s.value()))));
        c.put("rate-limits", rateLimits.stream().map(RateLimitDecl::canonical).toList());
        Map<String, Object> byStage = new LinkedHashMap<>();
        for (Stage s : Stage.values()) {
            byStage.put(
                    s.key(),
                    rules.stream()
                            .filter(r -> r.stage().value() == s)
                            .flatMap(r -> r.rules().stream())
                            .map(RuleDecl::canonical)
                            .toList());
        }
        c.put("rules", byStage);
        c.put("lists", new LinkedHashMap<>(usedLists));
        return c;
    }
}
