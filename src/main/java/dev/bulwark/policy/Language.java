package dev.bulwark.policy;

import dev.bulwark.check.Stage;

import java.util.Set;

/** What the passes share about the policy language: its version, keys, names and stages. */
final class Language {
    private Language() {}

    /** The language version this compiler reads, and the canonical form states. */
    static final int VERSION = 1;

    /**
     * The top-level sections. A new one (a {@code classifier:} section, say) is a key here, a
     * component of {@link PolicyDecl} with its reading, checking, lowering and canonical form.
     */
    static final Set<String> TOP =
            Yaml.keys(
                    "language",
                    "relay-domains",
                    "quarantine",
                    "limits",
                    "integrity",
                    "thresholds",
                    "tag",
                    "classifier",
                    "public-suffixes",
                    "lists",
                    "rate-limits",
                    "rules");

    static final Set<String> STAGES = Yaml.keys("connect", "helo", "mail", "rcpt", "data");
    static final Set<String> RULE =
            Yaml.keys("id", "description", "when", "action", "score", "shadow", "reply", "tag");
    static final Set<String> ACTIONS =
            Yaml.keys("accept", "reject", "defer", "discard", "quarantine", "tag");
    static final Set<String> COMPOSITES = Yaml.keys("all", "any", "not");
    static final Set<String> THRESHOLDS = Yaml.keys("tag", "quarantine", "reject");
    static final Set<String> CLASSIFIER =
            Yaml.keys("corpus", "model", "algorithm", "minimum-count", "folds", "bar");
    static final Set<String> TAG = Yaml.keys("subject-prefix", "headers");
    static final Set<String> LIMITS =
            Yaml.keys(
                    "message-size",
                    "recipients",
                    "command-line",
                    "data-line",
                    "header-bytes",
                    "command-timeout",
                    "data-timeout",
                    "connections",
                    "connections-per-client",
                    "commands",
                    "errors");
    static final Set<String> INTEGRITY = Yaml.keys("interval", "on-mismatch");
    static final Set<String> RATE_LIMIT =
            Yaml.keys(
                    "id",
                    "description",
                    "stage",
                    "key",
                    "prefix",
                    "capacity",
                    "period",
                    "cost",
                    "scope",
                    "shadow");

    /**
     * Rule, limit and list names: lower-case letters, digits, '-', '_' and '.', starting with a
     * letter or digit, at most 64 characters.
     */
    static boolean validName(String s) {
        if (s.isEmpty() || s.length() > 64) {
            return false;
        }
        char c0 = s.charAt(0);
        if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= '0' && c0 <= '9'))) {
            return false;
        }
        return s.chars()
                .allMatch(
                        c ->
                                (c >= 'a' && c <= 'z')
                                        || (c >= '0' && c <= '9')
                                        || c == '-'
                                        || c == '_'
                                        || c == '.');
    }

    /** Why something cannot be used before a stage: what becomes known there. */
    static String known(Stage earliest) {
        return switch (earliest) {
            case CONNECT -> "the client is known from connect on";
            case HELO -> "the HELO name is not known before helo";
            case MAIL -> "the sender is not known before mail";
            case RCPT -> "the recipients are not known before rcpt";
            case DATA -> "the message is not known before data";
        };
    }

    /** A header field name: printable ASCII without space or colon. */
    static boolean validHeaderName(String name) {
        return !name.isEmpty() && name.chars().allMatch(c -> c > 32 && c < 127 && c != ':');
    }
}
