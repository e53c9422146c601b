package dev.bulwark.classifier;

import dev.bulwark.check.mime.ParsedMessage;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A message's spam probability, and on request the tokens that moved it most. Explaining tokenizes
 * the message again keeping the token texts, so scoring alone never builds strings.
 */
public final class Score {

    /**
     * One token's pull on the score.
     *
     * @param token the token as src/docs/classifier.md describes it ({@code subject:free}, {@code
     *     url:domain:example.biz}, a body word ...)
     * @param weight its log-odds contribution: positive towards spam, negative towards ham
     */
    public record Clue(String token, double weight) {
        public Clue {
            Objects.requireNonNull(token, "token");
        }
    }

    private static final Comparator<Clue> STRONGEST_FIRST =
            Comparator.comparingDouble((Clue c) -> -Math.abs(c.weight()))
                    .thenComparing(Clue::token);

    private final Classifier classifier;
    private final byte[] raw;
    private final ParsedMessage parsed;
    private final double probability;

    Score(Classifier classifier, byte[] raw, ParsedMessage parsed, double probability) {
        this.classifier = classifier;
        this.raw = raw;
        this.parsed = parsed;
        this.probability = probability;
    }

    /** The spam probability, from 0 (ham) to 1 (spam); 0.5 when no token is known. */
    public double probability() {
        return probability;
    }

    /**
     * The {@code n} tokens that moved the score most, strongest first (ties by token): for
     * robinson-fisher the clues that counted, each with the log-odds of its spam probability; for
     * logistic the tokens with a weight.
     */
    public List<Clue> topTokens(int n) {
        if (n <= 0) {
            return List.of();
        }
        Map<String, Long> distinct = new LinkedHashMap<>();
        Tokenizer.tokens(
                raw,
                parsed,
                new Tokenizer.Sink() {
                    @Override
                    public void token(char[] chars, int length, long hash) {
                        distinct.putIfAbsent(new String(chars, 0, length), hash);
                    }

                    @Override
                    public boolean full() {
                        return distinct.size() >= Tokenizer.MAX_TOKENS;
                    }
                });
        List<String> texts = new ArrayList<>(distinct.keySet());
        long[] hashes = new long[texts.size()];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = distinct.get(texts.get(i));
        }
        double[] weights = new double[hashes.length];
        classifier.explain(hashes, weights);
        List<Clue> clues = new ArrayList<>();
        for (int i = 0; i < hashes.length; i++) {
            if (weights[i] != 0) {
                clues.add(new Clue(texts.get(i), weights[i]));
            }
        }
        clues.sort(STRONGEST_FIRST);
        return List.copyOf(clues.subList(0, Math.min(n, clues.size())));
    }

    /**
     * A probability as the audit record, the trace header and {@code check} show it: four decimals
     * ({@code 0.9731}).
     */
    public static String format(double probability) {
        return String.format(java.util.Locale.ROOT, "%.4f", probability);
    }

    @Override
    public String toString() {
        return format(probability);
    }
}
