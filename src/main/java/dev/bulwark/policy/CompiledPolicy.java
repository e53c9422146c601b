package dev.bulwark.policy;

import dev.bulwark.auth.PublicSuffixList;
import dev.bulwark.check.Connection;
import dev.bulwark.check.DnsLists;
import dev.bulwark.check.Evaluation;
import dev.bulwark.check.Filter;
import dev.bulwark.check.IntegritySettings;
import dev.bulwark.check.Limits;
import dev.bulwark.check.RelayDomains;
import dev.bulwark.check.rules.RuleEvaluation;
import dev.bulwark.check.rules.RuleSet;
import dev.bulwark.classifier.Classifier;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.ratelimit.LimitSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A compiled policy: immutable, shared by every session, the {@link Filter} the SMTP layer runs.
 *
 * <p>The shipped server uses only {@link #embedded()}, the policy compiled into the runtime at
 * build time. Development commands use {@link #compile(Path)} on a policy directory.
 *
 * <p>The {@link #digest()} is the SHA-256 of {@link #canonicalForm()}: a normalized rendering of
 * every semantic value (rules in order, lists sorted and normalized, limits with defaults made
 * explicit). Comments, formatting, key order, descriptions and the way lists are split into files
 * do not change it; any value that changes what the policy does does.
 */
public final class CompiledPolicy implements Filter {

    /** Where the build puts the canonical form and its digest inside the runtime. */
    public static final String EMBEDDED_DIR = "META-INF/bulwark/policy/";

    public static final String EMBEDDED_POLICY = EMBEDDED_DIR + "policy.json";
    public static final String EMBEDDED_DIGEST = EMBEDDED_DIR + "policy.sha256";

    /** The classifier's model, when the policy has one: its SHA-256 is in the canonical form. */
    public static final String EMBEDDED_MODEL = EMBEDDED_DIR + "classifier.model";

    /**
     * The rules' descriptions beside the canonical form, not in it: rewording a description keeps
     * the digest (ADR 4), and the runtime still shows it (ADR 0017).
     */
    public static final String EMBEDDED_DESCRIPTIONS = EMBEDDED_DIR + "descriptions.json";

    private final RuleSet rules;
    private final Limits limits;
    private final IntegritySettings integrity;
    private final RelayDomains relayDomains;
    private final List<String> relayEntries;
    private final List<LimitSpec> rateLimits;
    private final String canonical;
    private final String digest;
    private final List<Diagnostic> warnings;
    private final Optional<Classifier> classifier;
    private final Optional<String> classifierReport;

    /**
     * The Public Suffix List snapshot, beside the canonical form that names it by SHA-256 (so the
     * digest covers it).
     */
    public static final String EMBEDDED_PSL = EMBEDDED_DIR + "public_suffix_list.dat";

    private final Optional<byte[]> suffixOctets;
    private final PublicSuffixList psl;

    private Map<String, String> descriptions;

    private CompiledPolicy(PolicyCompiler.Output o) {
        this.classifier = o.classifier();
        this.classifierReport = o.classifierReport();
        this.rules = o.rules();
        this.limits = o.limits();
        this.integrity = o.integrity();
        this.relayDomains = o.relayDomains();
        this.relayEntries = o.relayEntries();
        this.rateLimits = o.rateLimits();
        this.canonical = o.canonical();
        this.digest = o.digest();
        this.warnings = o.warnings();
        this.suffixOctets = o.publicSuffixes().map(SuffixesBuild.Built::octets);
        this.psl = o.publicSuffixes().map(SuffixesBuild.Built::list).orElse(PublicSuffixList.EMPTY);
        this.descriptions = Map.copyOf(o.descriptions());
    }

    /**
     * Compiles a policy directory: {@code DIR/inbound.yaml} and the lists in {@code DIR/lists/}.
     * Diagnostics name files as {@code DIR} was given ({@code policy} gives {@code
     * policy/inbound.yaml}).
     *
     * @throws PolicyException with every error and warning when there is at least one error
     * @throws IOException when {@code inbound.yaml} or a list cannot be read
     */
    public static CompiledPolicy compile(Path dir) throws PolicyException, IOException {
        return new CompiledPolicy(PolicyCompiler.compile(PolicySource.directory(dir)));
    }

    @Override
    public PublicSuffixList publicSuffixes() {
        return psl;
    }

    /** Compiles a canonical form (or any single-file policy without list files). */
    public static CompiledPolicy fromCanonical(String name, String text) throws PolicyException {
        return fromCanonical(name, text, Optional.empty(), Optional.empty());
    }

    /**
     * Compiles a canonical form with the classifier model its {@code classifier:} section names by
     * SHA-256 ({@link #classifierModel()} of the policy it came from) and the Public Suffix List
     * its {@code public-suffixes:} section names ({@link #publicSuffixOctets()}).
     */
    public static CompiledPolicy fromCanonical(
            String name, String text, Optional<byte[]> model, Optional<byte[]> suffixes)
            throws PolicyException {
        return new CompiledPolicy(
                PolicyCompiler.compile(PolicySource.canonical(name, text, model, suffixes)));
    }

    /**
     * The policy compiled into this runtime. Its canonical form is read from the class path, its
     * SHA-256 checked against the digest recorded beside it at build time, and compiled; the
     * result's digest is checked again.
     *
     * @throws IllegalStateException when no policy was compiled in, or it does not match its digest
     */
    public static CompiledPolicy embedded() {
        CompiledPolicy p =
                verifyEmbedded(
                        resource(EMBEDDED_POLICY),
                        resource(EMBEDDED_DIGEST),
                        optionalResource(EMBEDDED_MODEL),
                        optionalResource(EMBEDDED_PSL));
        optionalResource(EMBEDDED_DESCRIPTIONS)
                .ifPresent(json -> p.describe(new String(json, StandardCharsets.UTF_8)));
        return p;
    }

    /**
     * Checks a canonical form against its recorded digest and compiles it (see {@link
     * #embedded()}).
     */
    static CompiledPolicy verifyEmbedded(String text, String digestFile) {
        return verifyEmbedded(text, digestFile, Optional.empty(), Optional.empty());
    }

    /**
     * As {@link #verifyEmbedded(String, String)}, with the classifier model and the Public Suffix
     * List beside the policy.
     */
    static CompiledPolicy verifyEmbedded(
            String text, String digestFile, Optional<byte[]> model, Optional<byte[]> suffixes) {
        String recorded = digestFile.trim();
        String actual = PolicyCompiler.sha256(text);
        if (!actual.equals(recorded)) {
            throw new IllegalStateException(
                    "the embedded policy does not match its digest: recorded "
                            + recorded
                            + ", actual "
                            + actual);
        }
        CompiledPolicy p;
        try {
            p = fromCanonical("embedded:" + EMBEDDED_POLICY, text, model, suffixes);
        } catch (PolicyException e) {
            throw new IllegalStateException(
                    "the embedded policy does not compile:\n" + e.getMessage(), e);
        }
        if (!p.digest.equals(recorded)) {
            throw new IllegalStateException(
                    "the embedded policy compiles to digest "
                            + p.digest
                            + ", not the recorded "
                            + recorded
                            + ": the runtime was built by a different compiler");
        }
        return p;
    }

    private static Optional<byte[]> optionalResource(String name) {
        try (InputStream in = CompiledPolicy.class.getResourceAsStream("/" + name)) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }

    private static String resource(String name) {
        try (InputStream in = CompiledPolicy.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalStateException(
                        "no policy is compiled into this runtime: "
                                + name
                                + " is missing (build with mvn package)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }

    /**
     * Writes the canonical form and its digest where {@link #embedded()} finds them under a
     * class-path root.
     */
    public void writeEmbedded(Path classesDir) throws IOException {
        Path dir = classesDir.resolve(EMBEDDED_DIR);
        Files.createDirectories(dir);
        Files.writeString(classesDir.resolve(EMBEDDED_POLICY), canonical, StandardCharsets.UTF_8);
        Files.writeString(
                classesDir.resolve(EMBEDDED_DESCRIPTIONS),
                dev.bulwark.json.JsonWriter.write(new java.util.TreeMap<>(descriptions)) + "\n",
                StandardCharsets.UTF_8);
        Files.writeString(
                classesDir.resolve(EMBEDDED_DIGEST), digest + "\n", StandardCharsets.UTF_8);
        Path model = classesDir.resolve(EMBEDDED_MODEL);
        if (classifier.isPresent()) {
            Files.write(model, classifier.get().bytes());
        } else {
            Files.deleteIfExists(model);
        }
        Path psl = classesDir.resolve(EMBEDDED_PSL);
        if (suffixOctets.isPresent()) {
            Files.write(psl, suffixOctets.get());
        } else {
            Files.deleteIfExists(psl);
        }
    }

    /** What the policy says rule {@code ruleId} is for, if its author wrote a description. */
    public Optional<String> description(String ruleId) {
        return Optional.ofNullable(descriptions.get(ruleId));
    }

    /** Every rule's description, by rule id. */
    public Map<String, String> descriptions() {
        return descriptions;
    }

    /**
     * Takes descriptions written beside an embedded canonical form (which has none): a JSON object
     * of rule id to text. Ids the policy does not have are ignored.
     */
    private void describe(String json) {
        if (!(dev.bulwark.json.JsonReader.parse(json) instanceof Map<?, ?> m)) {
            throw new IllegalStateException(EMBEDDED_DESCRIPTIONS + " is not a JSON object");
        }
        Map<String, String> d = new java.util.HashMap<>();
        m.forEach(
                (k, v) -> {
                    if (k instanceof String id && v instanceof String text) {
                        d.put(id, text);
                    }
                });
        descriptions = Map.copyOf(d);
    }

    @Override
    public String digest() {
        return digest;
    }

    @Override
    public DnsLists dnsLists() {
        return rules.dnsLists();
    }

    @Override
    public Limits limits() {
        return limits;
    }

    /** How the node re-verifies its runtime while serving ({@code integrity:}, ADR 0018). */
    public IntegritySettings integrity() {
        return integrity;
    }

    @Override
    public RelayDomains relayDomains() {
        return relayDomains;
    }

    /**
     * The relay domain entries as written in the canonical form ({@code .example.com} for
     * subdomains).
     */
    public List<String> relayDomainEntries() {
        return relayEntries;
    }

    @Override
    public Evaluation begin(Connection connection) {
        Objects.requireNonNull(connection, "connection");
        return new RuleEvaluation(rules, connection.client());
    }

    /**
     * The rate limits the policy declares, in order, for the rate-limit enforcement to build
     * buckets from.
     */
    public List<LimitSpec> rateLimits() {
        return rateLimits;
    }

    /** Where quarantined mail goes, if the policy quarantines. */
    public Optional<Mailbox> quarantineMailbox() {
        return rules.quarantine();
    }

    /** The canonical form: JSON (also valid policy YAML); its SHA-256 is the digest. */
    public String canonicalForm() {
        return canonical;
    }

    /** The policy's classifier, if it has a {@code classifier:} section. */
    public Optional<Classifier> classifier() {
        return classifier;
    }

    /**
     * The Public Suffix List's octets, to go beside the canonical form ({@link #fromCanonical}).
     */
    public Optional<byte[]> publicSuffixOctets() {
        return suffixOctets.map(byte[]::clone);
    }

    /** The model's bytes, to go beside the canonical form ({@link #fromCanonical}). */
    public Optional<byte[]> classifierModel() {
        return classifier.map(Classifier::bytes);
    }

    /**
     * What training reported (the cross-validation table, the model's figures), when this
     * compilation trained the model from a corpus; empty for a model that came with a canonical
     * form.
     */
    public Optional<String> classifierReport() {
        return classifierReport;
    }

    /** Warnings found while compiling. */
    public List<Diagnostic> warnings() {
        return warnings;
    }

    /** The compiled rules, for tools that inspect them. */
    public RuleSet rules() {
        return rules;
    }
}
