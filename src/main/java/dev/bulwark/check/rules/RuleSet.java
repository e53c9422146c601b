package dev.bulwark.check.rules;

import dev.bulwark.check.DnsLists;
import dev.bulwark.check.Stage;
import dev.bulwark.classifier.Classifier;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.regex.LiteralScanner;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The compiled rules of a policy, with score thresholds, the default tag and the quarantine
 * mailbox. Immutable and shared by every session.
 */
public final class RuleSet {

    /** Score thresholds; each is optional. When present, tag &lt; quarantine &lt; reject. */
    public record Thresholds(OptionalDouble tag, OptionalDouble quarantine, OptionalDouble reject) {
        public Thresholds {
            Objects.requireNonNull(tag, "tag");
            Objects.requireNonNull(quarantine, "quarantine");
            Objects.requireNonNull(reject, "reject");
        }

        public static Thresholds none() {
            return new Thresholds(
                    OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty());
        }
    }

    private final Map<Stage, List<Rule>> rules;
    private final Thresholds thresholds;
    private final Action.TagSpec defaultTag;
    private final Optional<Mailbox> quarantine;
    private final boolean[] earlyReject;
    private final Literals literals;
    private final Optional<Classifier> classifier;

    /** The literal scanners for body and raw patterns (see {@link Prefilter}). */
    record Literals(LiteralScanner body, LiteralScanner raw) {}

    private final DnsLists dnsLists;

    public RuleSet(
            Map<Stage, List<Rule>> rules,
            Thresholds thresholds,
            Action.TagSpec defaultTag,
            Optional<Mailbox> quarantine) {
        this(rules, thresholds, defaultTag, quarantine, Optional.empty());
    }

    /** Rules with the policy's classifier, which judges every message that reaches DATA. */
    public RuleSet(
            Map<Stage, List<Rule>> rules,
            Thresholds thresholds,
            Action.TagSpec defaultTag,
            Optional<Mailbox> quarantine,
            Optional<Classifier> classifier) {
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        EnumMap<Stage, List<Rule>> copy = new EnumMap<>(Stage.class);
        for (Stage s : Stage.values()) {
            copy.put(s, List.copyOf(rules.getOrDefault(s, List.of())));
        }
        this.rules = copy;
        this.thresholds = Objects.requireNonNull(thresholds, "thresholds");
        this.defaultTag = Objects.requireNonNull(defaultTag, "defaultTag");
        this.quarantine = Objects.requireNonNull(quarantine, "quarantine");
        this.earlyReject = earlyReject(copy);
        java.util.Set<String> body = new java.util.LinkedHashSet<>();
        java.util.Set<String> raw = new java.util.LinkedHashSet<>();
        for (List<Rule> rs : copy.values()) {
            for (Rule r : rs) {
                collect(r.when(), body, raw);
            }
        }
        this.literals = new Literals(new LiteralScanner(body), new LiteralScanner(raw));
        java.util.Set<String> client = new java.util.LinkedHashSet<>();
        java.util.Set<String> uri = new java.util.LinkedHashSet<>();
        for (List<Rule> rs : copy.values()) {
            for (Rule r : rs) {
                zones(r.when(), client, uri);
            }
        }
        this.dnsLists = new DnsLists(List.copyOf(client), List.copyOf(uri));
    }

    /** The zones of the dnsbl and uribl matchers, in rule order, each once. */
    private static void zones(
            Condition c, java.util.Set<String> client, java.util.Set<String> uri) {
        switch (c) {
            case Condition.All a -> a.conditions().forEach(x -> zones(x, client, uri));
            case Condition.Any a -> a.conditions().forEach(x -> zones(x, client, uri));
            case Condition.Not n -> zones(n.condition(), client, uri);
            case Condition.Match m when m.matcher() instanceof AuthMatchers.Dnsbl d ->
                    client.add(d.zone());
            case Condition.Match m when m.matcher() instanceof AuthMatchers.Uribl u ->
                    uri.add(u.zone());
            default -> {}
        }
    }

    /** The DNS lists the policy's matchers consult: the flow asks them, the matchers read them. */
    public DnsLists dnsLists() {
        return dnsLists;
    }

    private static void collect(
            Condition c, java.util.Set<String> body, java.util.Set<String> raw) {
        switch (c) {
            case Condition.All a -> a.conditions().forEach(x -> collect(x, body, raw));
            case Condition.Any a -> a.conditions().forEach(x -> collect(x, body, raw));
            case Condition.Not n -> collect(n.condition(), body, raw);
            case Condition.Match m when m.matcher() instanceof MessageMatchers.BodyMatches b ->
                    body.addAll(b.regex().literals());
            case Condition.Match m when m.matcher() instanceof MessageMatchers.RawMatches r -> {
                for (String a : r.regex().literals()) {
                    // Raw bytes are scanned as ASCII (LiteralScanner.scanAscii); a literal that is
                    // not ASCII is left out, and an unknown literal counts as present, so its
                    // pattern always runs.
                    if (a.chars().allMatch(ch -> ch < 128)) {
                        raw.add(a);
                    }
                }
            }
            default -> {}
        }
    }

    Literals literals() {
        return literals;
    }

    /**
     * The reject threshold may fire before DATA only at a stage after which no rule can lower the
     * score or allowlist the transaction: otherwise an early reject could refuse mail that the
     * policy would have let through.
     */
    private static boolean[] earlyReject(Map<Stage, List<Rule>> rules) {
        Stage[] stages = Stage.values();
        boolean[] early = new boolean[stages.length];
        boolean safe = true;
        for (int i = stages.length - 1; i >= 0; i--) {
            early[i] = safe;
            for (Rule r : rules.get(stages[i])) {
                if (r.shadow()) {
                    continue;
                }
                if (r.action() instanceof Action.Accept
                        || (r.action() instanceof Action.Score s && s.points() < 0)) {
                    safe = false;
                }
            }
        }
        return early;
    }

    /** The policy's classifier, if it has one. */
    public Optional<Classifier> classifier() {
        return classifier;
    }

    public List<Rule> rules(Stage stage) {
        return rules.get(stage);
    }

    public Thresholds thresholds() {
        return thresholds;
    }

    public Action.TagSpec defaultTag() {
        return defaultTag;
    }

    public Optional<Mailbox> quarantine() {
        return quarantine;
    }

    /** Whether the reject threshold may refuse at this stage (always at DATA). */
    public boolean earlyRejectAt(Stage stage) {
        return earlyReject[stage.ordinal()];
    }
}
