package dev.bulwark.policy;

import dev.bulwark.classifier.Algorithm;
import dev.bulwark.classifier.CrossValidation;
import dev.bulwark.classifier.Options;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code classifier:} section: where the training mail is, how to train, and the quality bar
 * the build's cross-validation holds the model to. A policy directory names its {@code corpus}; the
 * canonical form names the trained {@code model} by its SHA-256 instead (the model travels beside
 * it, see {@link ClassifierBuild}), so the digest covers the model, and through the corpus digest
 * the model records, the corpus. Defaults: {@code algorithm: logistic}, {@code minimum-count: 2},
 * {@code folds: 5}.
 *
 * @param pos where the section begins
 * @param bar where the bar was written (the gate's diagnostic points there)
 */
record ClassifierDecl(
        Pos pos,
        @NotCanonical("where the corpus lies is not what it holds: 'model' covers its content")
                Optional<Located<String>> ham,
        @NotCanonical("where the corpus lies is not what it holds: 'model' covers its content")
                Optional<Located<String>> spam,
        Optional<Located<String>> model,
        Optional<Located<String>> algorithm,
        Optional<Located<BigDecimal>> minimumCount,
        Optional<Located<BigDecimal>> folds,
        Pos bar,
        Optional<Located<BigDecimal>> spamRecall,
        Optional<Located<BigDecimal>> hamFalsePositives)
        implements Declaration {

    static final int DEFAULT_FOLDS = 5;

    /** The algorithm as named (for a checked declaration). */
    Algorithm algorithmValue() {
        return algorithm
                .map(a -> Algorithm.named(a.value()))
                .orElse(Options.defaults().algorithm());
    }

    int minimumCountValue() {
        return minimumCount
                .map(m -> m.value().intValueExact())
                .orElse(Options.defaults().minimumCount());
    }

    int foldsValue() {
        return folds.map(f -> f.value().intValueExact()).orElse(DEFAULT_FOLDS);
    }

    /** The training options (for a checked declaration). */
    Options options() {
        return new Options(algorithmValue(), minimumCountValue());
    }

    /** The bar (for a checked declaration). */
    CrossValidation.Bar barValue() {
        return new CrossValidation.Bar(
                spamRecall.orElseThrow().value().doubleValue(),
                hamFalsePositives.orElseThrow().value().doubleValue());
    }

    /** The same section naming the model trained from its corpus. */
    ClassifierDecl withModel(String sha256) {
        return new ClassifierDecl(
                pos,
                ham,
                spam,
                Optional.of(Located.of(sha256, pos)),
                algorithm,
                minimumCount,
                folds,
                bar,
                spamRecall,
                hamFalsePositives);
    }

    /**
     * Algorithm, minimum count and folds (defaults explicit), the bar, and the model's SHA-256 once
     * it is known.
     */
    @Override
    public Map<String, Object> canonical() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("algorithm", algorithmValue().word());
        c.put("minimum-count", (long) minimumCountValue());
        c.put("folds", (long) foldsValue());
        Map<String, Object> b = new LinkedHashMap<>();
        spamRecall.ifPresent(v -> b.put("spam-recall", v.value()));
        hamFalsePositives.ifPresent(v -> b.put("ham-false-positives", v.value()));
        c.put("bar", b);
        model.ifPresent(m -> c.put("model", m.value()));
        return c;
    }
}
