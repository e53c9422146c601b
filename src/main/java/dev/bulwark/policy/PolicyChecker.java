package dev.bulwark.policy;

import dev.bulwark.check.IntegritySettings;
import dev.bulwark.check.Limits;
import dev.bulwark.classifier.Algorithm;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.PathSyntaxException;
import dev.bulwark.json.JsonWriter;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The check pass: what the declarations mean. Names, ranges and arithmetic, references to lists,
 * matcher operands (patterns compile, list entries are valid), printable texts, the quarantine
 * mailbox; then the analysis of the whole (duplicate ids, unreachable rules, thresholds no score
 * can reach, limits counting the same buckets). Rules are checked by {@link RuleChecker}, rate
 * limits by {@link RateLimitChecker}. Everything is reported to one {@link Problems}; the compiler
 * fails once, after this pass.
 */
final class PolicyChecker {

    private final Problems problems;
    private final ListTable lists;
    private final Operand.Checks operandChecks;
    private final Map<OperandDecl, Object> values = new IdentityHashMap<>();

    /** Ids of rules and limits, one namespace: id to where it was defined. */
    private final Map<String, List<Pos>> ids = new LinkedHashMap<>();

    private final List<Pos> quarantineUses = new ArrayList<>();

    private PolicyChecker(Problems problems) {
        this.problems = problems;
        this.lists = new ListTable(problems);
        this.operandChecks = new Operand.Checks(problems, lists);
    }

    static Checked check(PolicyDecl policy, Problems problems) {
        return new PolicyChecker(problems).run(policy);
    }

    private Checked run(PolicyDecl d) {
        d.lists().forEach(lists::define);
        d.language()
                .ifPresent(
                        v -> {
                            if (v.value().compareTo(BigDecimal.valueOf(Language.VERSION)) != 0) {
                                problems.error(
                                        v.pos(),
                                        "language "
                                                + v.value()
                                                + " is not supported: this compiler reads language "
                                                + Language.VERSION);
                            }
                        });
        Limits limits = LimitsChecker.check(d.limits(), problems);
        integrity(d.integrity());
        d.relayDomains().ifPresent(this::relayDomains);
        boolean mailbox = d.quarantine().map(this::quarantine).orElse(false);
        Map<String, BigDecimal> thresholds = d.thresholds().map(this::thresholds).orElse(Map.of());
        d.tag().ifPresent(this::tag);
        d.classifier().ifPresent(this::classifier);
        if (d.classifier().isEmpty()) {
            for (PolicyDecl.StageRules sr : d.rules()) {
                for (RuleDecl r : sr.rules()) {
                    r.when().ifPresent(this::classifierUses);
                }
            }
        }

        RuleChecker rules = new RuleChecker(this);
        d.rules().forEach(rules::check);
        RateLimitChecker rateLimits = new RateLimitChecker(this, limits);
        d.rateLimits().forEach(rateLimits::check);

        if (!mailbox) {
            for (Pos p : quarantineUses) {
                problems.error(
                        p, "quarantine needs a 'quarantine' mailbox at the top of the policy");
            }
        }
        analyseIds();
        rules.analyse(d.thresholds().map(ThresholdsDecl::pos), thresholds);

        Map<String, List<String>> used = new TreeMap<>();
        lists.finish().forEach((name, r) -> used.put(name, List.copyOf(r.entries())));
        return new Checked(values, used);
    }

    private void integrity(IntegrityDecl i) {
        i.interval()
                .filter(
                        v ->
                                v.value().compareTo(IntegritySettings.MIN_INTERVAL) < 0
                                        || v.value().compareTo(IntegritySettings.MAX_INTERVAL) > 0)
                .ifPresent(
                        v ->
                                problems.error(
                                        v.pos(),
                                        v.text()
                                                + " is not a valid integrity interval: it must be"
                                                + " between "
                                                + Values.human(IntegritySettings.MIN_INTERVAL)
                                                + " and "
                                                + Values.human(IntegritySettings.MAX_INTERVAL)));
        i.onMismatch()
                .filter(v -> IntegrityDecl.onMismatch(v.value()).isEmpty())
                .ifPresent(
                        v ->
                                problems.error(
                                        v.pos(),
                                        "'"
                                                + v.value()
                                                + "' is not a valid on-mismatch: it must be"
                                                + " refuse-mail or report"
                                                + Suggest.didYouMean(
                                                        v.value(),
                                                        List.of("refuse-mail", "report"))));
    }

    Problems problems() {
        return problems;
    }

    Operand.Checks operandChecks() {
        return operandChecks;
    }

    /** Records an operand's checked value for lowering. */
    void checked(OperandDecl operand, Object value) {
        values.put(operand, value);
    }

    void quarantineUse(Pos pos) {
        quarantineUses.add(pos);
    }

    /** Claims an id for a rule or a limit; duplicates are reported by the analysis. */
    void claimId(Located<String> id) {
        ids.computeIfAbsent(id.value(), k -> new ArrayList<>()).add(id.pos());
    }

    // ---- sections ------------------------------------------------------------------------------

    /**
     * The classifier section's values; its corpus and model are read by {@link ClassifierBuild}.
     */
    private void classifier(ClassifierDecl k) {
        if (k.ham().isPresent() == k.model().isPresent()
                && k.spam().isPresent() == k.ham().isPresent()) {
            problems.error(
                    k.pos(),
                    k.model().isPresent()
                            ? "'classifier' has both a 'corpus' and a 'model': a policy directory"
                                    + " names its corpus, the canonical form the model trained"
                                    + " from it"
                            : "'classifier' needs a 'corpus': {ham: DIR, spam: DIR}");
        }
        k.model()
                .ifPresent(
                        m -> {
                            if (!m.value().matches("[0-9a-f]{64}")) {
                                problems.error(
                                        m.pos(),
                                        "'model' is the SHA-256 of the trained model, 64"
                                                + " lower-case hex digits, not '"
                                                + m.value()
                                                + "'");
                            }
                        });
        k.algorithm()
                .ifPresent(
                        a -> {
                            if (Algorithm.named(a.value()) == null) {
                                List<String> words =
                                        Arrays.stream(Algorithm.values())
                                                .map(Algorithm::word)
                                                .toList();
                                problems.error(
                                        a.pos(),
                                        "unknown classifier algorithm '"
                                                + a.value()
                                                + "'"
                                                + Suggest.didYouMean(a.value(), words)
                                                + ": one of "
                                                + String.join(", ", words));
                            }
                        });
        k.minimumCount().ifPresent(n -> whole(n, "'minimum-count'", 1, 1000));
        k.folds().ifPresent(n -> whole(n, "'folds'", 2, 20));
        k.spamRecall()
                .ifPresent(
                        r -> {
                            if (r.value().signum() <= 0
                                    || r.value().compareTo(BigDecimal.ONE) > 0) {
                                problems.error(
                                        r.pos(),
                                        "'spam-recall' is the fraction of spam the model must"
                                                + " flag: above 0, at most 1, not "
                                                + r.text());
                            }
                        });
        k.hamFalsePositives()
                .ifPresent(
                        f -> {
                            if (f.value().signum() < 0
                                    || f.value().compareTo(BigDecimal.ONE) >= 0) {
                                problems.error(
                                        f.pos(),
                                        "'ham-false-positives' is the fraction of ham the model"
                                                + " may flag: at least 0, below 1, not "
                                                + f.text());
                            }
                        });
    }

    private void whole(Located<BigDecimal> n, String what, int min, int max) {
        BigDecimal v = n.value();
        if (v.stripTrailingZeros().scale() > 0
                || v.compareTo(BigDecimal.valueOf(min)) < 0
                || v.compareTo(BigDecimal.valueOf(max)) > 0) {
            problems.error(
                    n.pos(),
                    what
                            + " must be a whole number from "
                            + min
                            + " to "
                            + max
                            + ", not "
                            + n.text());
        }
    }

    /** A classifier matcher in a policy without a classifier section. */
    private void classifierUses(CondDecl c) {
        switch (c) {
            case CondDecl.All a -> a.all().forEach(this::classifierUses);
            case CondDecl.Any a -> a.any().forEach(this::classifierUses);
            case CondDecl.Not n -> classifierUses(n.not());
            case CondDecl.Match m -> {
                if (m.operand() instanceof OperandDecl.Probability) {
                    problems.error(
                            m.pos(),
                            "'"
                                    + m.matcher().name()
                                    + "' needs a 'classifier' section at the top of the policy");
                }
            }
        }
    }

    private void relayDomains(OperandDecl.ListRef ref) {
        Optional<ListOperands.Listed> l = ListOperands.checkList(ref, lists);
        l.ifPresent(v -> checked(ref, v));
        if (l.isPresent() && l.get().entries().isEmpty()) {
            problems.error(ref.pos(), "'relay-domains' is empty: no mail could be accepted");
        }
    }

    private boolean quarantine(Located<String> q) {
        try {
            Mailbox m = Mailbox.of(q.value().trim());
            if (m.isBarePostmaster() || m.hasAddressLiteral()) {
                problems.error(
                        q.pos(),
                        "'quarantine' must be an address local@domain, not '" + q.value() + "'");
                return false;
            }
            return true;
        } catch (PathSyntaxException ex) {
            problems.error(
                    q.pos(),
                    "'quarantine' is not a valid address: "
                            + ex.getMessage()
                            + ": '"
                            + q.value()
                            + "'");
            return false;
        }
    }

    /** The valid thresholds by name; a quarantine threshold is a use of the mailbox. */
    private Map<String, BigDecimal> thresholds(ThresholdsDecl t) {
        Map<String, Located<BigDecimal>> valid = new LinkedHashMap<>();
        t.written()
                .forEach(
                        (k, v) -> {
                            if (v.value().signum() <= 0) {
                                problems.error(
                                        v.pos(),
                                        JsonWriter.number(v.value())
                                                + " is not a valid "
                                                + k
                                                + " threshold: it must be positive (a message"
                                                + " without hits scores 0)");
                            } else {
                                valid.put(k, v);
                            }
                        });
        List<String> present = List.copyOf(valid.keySet()); // in tag, quarantine, reject order
        for (int i = 0; i + 1 < present.size(); i++) {
            Located<BigDecimal> lo = valid.get(present.get(i));
            Located<BigDecimal> hi = valid.get(present.get(i + 1));
            if (lo.value().compareTo(hi.value()) >= 0) {
                problems.error(
                        lo.pos(),
                        present.get(i)
                                + " threshold "
                                + JsonWriter.number(lo.value())
                                + " must be below the "
                                + present.get(i + 1)
                                + " threshold "
                                + JsonWriter.number(hi.value())
                                + ": a "
                                + present.get(i)
                                + " could never happen");
            }
        }
        if (valid.containsKey("quarantine")) {
            quarantineUse(valid.get("quarantine").pos());
        }
        Map<String, BigDecimal> out = new LinkedHashMap<>();
        valid.forEach((k, v) -> out.put(k, v.value()));
        return out;
    }

    /** Checks tag settings; whether they are valid. */
    boolean tag(TagDecl t) {
        boolean ok = true;
        if (t.subjectPrefix().isPresent()) {
            Located<String> p = t.subjectPrefix().get();
            ok = printable(p.value(), p.pos(), "subject-prefix", 64);
        }
        for (TagDecl.Header h : t.headers()) {
            ok &=
                    printable(
                            h.value().value(),
                            h.value().pos(),
                            "header '" + h.name().value() + "'",
                            200);
        }
        return ok;
    }

    /** Text that goes into an SMTP reply or a header: printable ASCII, bounded length. */
    boolean printable(String s, Pos pos, String what, int max) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 32 || c > 126) {
                problems.error(
                        pos,
                        what
                                + " must be printable ASCII: character "
                                + String.format("U+%04X", (int) c)
                                + " at offset "
                                + i
                                + " is not");
                return false;
            }
        }
        if (s.length() > max) {
            problems.error(
                    pos,
                    what
                            + " is "
                            + s.length()
                            + " characters long: at most "
                            + max
                            + " are allowed");
            return false;
        }
        return true;
    }

    // ---- analysis ------------------------------------------------------------------------------

    /**
     * Rules and limits share one namespace (audit records name either); the first in the file keeps
     * it.
     */
    private void analyseIds() {
        for (Map.Entry<String, List<Pos>> e : ids.entrySet()) {
            List<Pos> at = new ArrayList<>(e.getValue());
            at.sort(
                    Comparator.comparing(Pos::file)
                            .thenComparingInt(Pos::line)
                            .thenComparingInt(Pos::column));
            for (Pos p : at.subList(1, at.size())) {
                problems.error(
                        p,
                        "duplicate id '"
                                + e.getKey()
                                + "' (first at "
                                + at.get(0).relativeTo(p)
                                + ")");
            }
        }
    }
}
