package dev.bulwark.check.rules;

import static dev.bulwark.check.rules.Condition.clip;

import dev.bulwark.check.mime.ParsedMessage;
import dev.bulwark.regex.Regex;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The matchers on the message, known at DATA: headers, subject, decoded text, the raw message, its
 * size and MIME structure, attachments and links. Names and stages are in the compiler's matcher
 * table.
 */
public final class MessageMatchers {
    private MessageMatchers() {}

    /** {@code header-present}; the name is lower case. */
    public record HeaderPresent(String header) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            return f.parsed().hasHeader(header) ? Optional.of(header) : Optional.empty();
        }
    }

    /** {@code header-absent}; the name is lower case. */
    public record HeaderAbsent(String header) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            return f.parsed().hasHeader(header) ? Optional.empty() : Optional.of(header);
        }
    }

    /** {@code header-matches}: any value of the header; the name is lower case. */
    public record HeaderMatches(String header, Regex regex) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            for (ParsedMessage.Header h : f.parsed().headers()) {
                if (h.is(header)) {
                    Optional<String> m = regex.find(h.value());
                    if (m.isPresent()) {
                        return Optional.of(header + " " + regex + ": \"" + clip(m.get()) + "\"");
                    }
                }
            }
            return Optional.empty();
        }
    }

    /** {@code subject-contains}. */
    public record SubjectContains(Text text) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            String subject = f.parsed().subject();
            return text.indexIn(subject, f.foldedSubject()) >= 0
                    ? Optional.of(text + ": \"" + clip(subject) + "\"")
                    : Optional.empty();
        }
    }

    /** {@code subject-matches}. */
    public record SubjectMatches(Regex regex) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            return regex.find(f.parsed().subject()).map(m -> regex + ": \"" + clip(m) + "\"");
        }
    }

    /** {@code body-contains}: the decoded text. */
    public record BodyContains(Text text) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            String body = f.parsed().text();
            int at = text.indexIn(body, f.foldedText());
            if (at < 0) {
                return Optional.empty();
            }
            String found =
                    at + text.text().length() <= body.length()
                            ? body.substring(at, at + text.text().length())
                            : text.text();
            return Optional.of(text + ": \"" + clip(found) + "\"");
        }
    }

    /**
     * {@code body-matches}: the decoded text, behind the literal prefilter shared by every body
     * pattern ({@link RuleSet}).
     */
    public record BodyMatches(Regex regex) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            return regex.find(f.parsed().text(), f.foldedText(), f.bodyLiterals())
                    .map(m -> regex + ": \"" + clip(m) + "\"");
        }
    }

    /** {@code raw-matches}: the message as received, headers included, undecoded, as UTF-8. */
    public record RawMatches(Regex regex) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            return regex.find(f.raw(), f.rawLiterals()).map(m -> regex + ": \"" + clip(m) + "\"");
        }
    }

    /** {@code mime-malformed}. */
    public record MimeMalformed(boolean expected) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            List<String> defects = f.parsed().defects();
            if (defects.isEmpty() == expected) {
                return Optional.empty();
            }
            return Optional.of(expected ? String.join(", ", defects) : "false");
        }
    }

    /** {@code size-over}. */
    public record SizeOver(long bytes) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            return f.size() > bytes
                    ? Optional.of(f.size() + " > " + bytes + " bytes")
                    : Optional.empty();
        }
    }

    /** {@code attachment-name-matches}: the decoded file name of any attachment. */
    public record AttachmentNameMatches(Regex regex) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            for (ParsedMessage.Attachment a : f.parsed().attachments()) {
                if (!a.filename().isEmpty() && regex.find(a.filename()).isPresent()) {
                    return Optional.of(regex + ": \"" + clip(a.filename()) + "\"");
                }
            }
            return Optional.empty();
        }
    }

    /** {@code attachment-extension-in}. */
    public record AttachmentExtensionIn(String list, NameSet set) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            for (ParsedMessage.Attachment a : f.parsed().attachments()) {
                String ext = a.extension();
                if (!ext.isEmpty() && set.match(ext).isPresent()) {
                    return Optional.of(list + ": \"" + clip(a.filename()) + "\"");
                }
            }
            return Optional.empty();
        }
    }

    /** {@code attachment-type-in}. */
    public record AttachmentTypeIn(String list, NameSet set) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            for (ParsedMessage.Attachment a : f.parsed().attachments()) {
                if (set.match(a.contentType()).isPresent()) {
                    String what =
                            a.filename().isEmpty()
                                    ? a.contentType()
                                    : a.contentType() + " \"" + clip(a.filename()) + "\"";
                    return Optional.of(list + ": " + what);
                }
            }
            return Optional.empty();
        }
    }

    /** {@code url-host-in}. */
    public record UrlHostIn(String list, DomainSet set) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            for (String host : f.parsed().urlHosts()) {
                Optional<String> m = set.match(host);
                if (m.isPresent()) {
                    return Optional.of(list + ": " + clip(host) + " matches " + m.get());
                }
            }
            return Optional.empty();
        }
    }

    /** {@code url-host-is-ip}. */
    public record UrlHostIsIp(boolean expected) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            String found = null;
            for (String host : f.parsed().urlHosts()) {
                if (Cidrs.literal(host) != null) {
                    found = host;
                    break;
                }
            }
            return (found != null) == expected
                    ? Optional.of(found != null ? found : "false")
                    : Optional.empty();
        }
    }

    /**
     * {@code classifier: {above: P, below: Q}}: the classifier's spam probability, each bound
     * exclusive. The detail is the probability.
     */
    public record ClassifierIn(OptionalDouble above, OptionalDouble below) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            Optional<dev.bulwark.classifier.Score> s = f.classification();
            if (s.isEmpty()) {
                return Optional.empty();
            }
            double p = s.get().probability();
            boolean in =
                    (above.isEmpty() || p > above.getAsDouble())
                            && (below.isEmpty() || p < below.getAsDouble());
            return in ? Optional.of("probability " + s.get()) : Optional.empty();
        }
    }
}
