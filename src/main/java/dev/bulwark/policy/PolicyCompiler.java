package dev.bulwark.policy;

import dev.bulwark.check.IntegritySettings;
import dev.bulwark.check.Limits;
import dev.bulwark.check.RelayDomains;
import dev.bulwark.check.rules.RuleSet;
import dev.bulwark.classifier.Classifier;
import dev.bulwark.json.JsonWriter;
import dev.bulwark.ratelimit.LimitSpec;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Source to compiled policy, in passes over typed declarations: read ({@link PolicyReader}: YAML
 * and list files to declarations), check ({@link PolicyChecker}: what they mean, and the analysis
 * of the whole), lower ({@link Lowering}: to what runs) and the canonical form ({@link
 * PolicyDecl#canonical}), whose SHA-256 is the digest. Every problem is collected; the compilation
 * fails once, after the check, with all of them sorted. A policy with a {@code classifier:} section
 * has a training pass after the check ({@link ClassifierBuild}): the model it trains (or the one
 * that came with a canonical form) is lowered into the rules and named in the canonical form; the
 * Public Suffix List snapshot is named there the same way ({@link SuffixesBuild}). ADR 0011
 * describes the passes, ADR 0014 the classifier.
 */
final class PolicyCompiler {

    private PolicyCompiler() {}

    /** The result of a successful compilation. */
    record Output(
            RuleSet rules,
            Limits limits,
            IntegritySettings integrity,
            RelayDomains relayDomains,
            List<String> relayEntries,
            List<LimitSpec> rateLimits,
            Optional<Classifier> classifier,
            Optional<String> classifierReport,
            Optional<SuffixesBuild.Built> publicSuffixes,
            String canonical,
            String digest,
            List<Diagnostic> warnings,
            Map<String, String> descriptions) {}

    /**
     * Compiles a policy.
     *
     * @throws PolicyException with every error and warning when there is at least one error
     */
    static Output compile(PolicySource source) throws PolicyException {
        Problems problems = new Problems();
        Optional<PolicyDecl> read = PolicyReader.read(source, problems);
        if (read.isEmpty()) {
            throw new PolicyException(problems.sorted());
        }
        PolicyDecl policy = read.get();
        Checked checked = PolicyChecker.check(policy, problems);
        if (problems.hasErrors()) {
            throw new PolicyException(problems.sorted());
        }
        Optional<ClassifierBuild.Built> classifier = Optional.empty();
        if (policy.classifier().isPresent()) {
            StringBuilder report = new StringBuilder();
            classifier = ClassifierBuild.build(policy.classifier().get(), source, problems, report);
            if (problems.hasErrors()) {
                throw new PolicyException(problems.sorted(), report.toString());
            }
            policy = policy.withClassifier(classifier.orElseThrow().decl());
        }
        Optional<SuffixesBuild.Built> suffixes = SuffixesBuild.build(policy, source, problems);
        if (problems.hasErrors()) {
            throw new PolicyException(problems.sorted());
        }
        if (suffixes.isPresent()) {
            policy = policy.withPublicSuffixes(suffixes.get().sha256());
        }
        Lowering.Lowered lowered =
                Lowering.lower(policy, checked, classifier.map(ClassifierBuild.Built::classifier));
        String canonical = JsonWriter.write(policy.canonical(checked.usedLists()));
        return new Output(
                lowered.rules(),
                lowered.limits(),
                policy.integrity().settings(),
                lowered.relayDomains(),
                lowered.relayEntries(),
                lowered.rateLimits(),
                classifier.map(ClassifierBuild.Built::classifier),
                classifier.flatMap(ClassifierBuild.Built::report),
                suffixes,
                canonical,
                sha256(canonical),
                problems.sorted(),
                descriptions(policy));
    }

    /**
     * Each rule's description by rule id, in rule order. Not in the canonical form (ADR 4): words
     * for people, so rewording one keeps the digest.
     */
    static Map<String, String> descriptions(PolicyDecl policy) {
        Map<String, String> d = new LinkedHashMap<>();
        for (PolicyDecl.StageRules stage : policy.rules()) {
            for (RuleDecl r : stage.rules()) {
                if (r.id().isPresent() && r.description().isPresent()) {
                    d.putIfAbsent(r.id().get().value(), r.description().get().value().strip());
                }
            }
        }
        return d;
    }

    static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    static String sha256(byte[] octets) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(octets));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this runtime", e);
        }
    }
}
