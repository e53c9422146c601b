package dev.bulwark.check.rules;

import static dev.bulwark.check.rules.Condition.clip;

import dev.bulwark.check.RelayDomains;
import dev.bulwark.check.Stage;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.regex.Regex;

import java.util.List;
import java.util.Optional;

/**
 * The matchers on what the session knows before DATA: the client, its greeting, the sender and the
 * recipients. Names and stages are in the compiler's matcher table.
 */
public final class SessionMatchers {
    private SessionMatchers() {}

    /** {@code client-ip-in}. */
    public record ClientIpIn(String list, CidrSet set) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            return set.lookup(f.client())
                    .map(n -> list + ": " + f.client().getHostAddress() + " in " + n);
        }
    }

    /** {@code helo-is}. */
    public record HeloIs(HeloShape shape) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            return shape.test(f.helo(), f.client())
                    ? Optional.of(shape.key() + ": \"" + clip(f.helo()) + "\"")
                    : Optional.empty();
        }
    }

    /** {@code helo-matches}. */
    public record HeloMatches(Regex regex) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            return regex.find(f.helo()).map(m -> regex + ": \"" + clip(m) + "\"");
        }
    }

    /** {@code helo-in}: an address literal is never a listed domain. */
    public record HeloIn(String list, DomainSet set) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            String h = f.helo().trim();
            if (h.isEmpty() || h.startsWith("[")) {
                return Optional.empty();
            }
            return set.match(RelayDomains.normalize(h))
                    .map(m -> list + ": \"" + clip(h) + "\" matches " + m);
        }
    }

    /** {@code sender-in}: never the null sender. */
    public record SenderIn(String list, AddressSet set) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            if (!(f.sender() instanceof Mailbox m)) {
                return Optional.empty();
            }
            return set.match(m).map(e -> list + ": " + clip(m.address()) + " matches " + e);
        }
    }

    /** {@code sender-matches}: the null sender is the empty text. */
    public record SenderMatches(Regex regex) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            String address = f.sender() instanceof Mailbox m ? m.address() : "";
            return regex.find(address)
                    .map(hit -> regex + ": \"" + clip(hit) + "\" in " + clip(address));
        }
    }

    /** {@code sender-null}. */
    public record SenderNull(boolean expected) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            boolean isNull = !(f.sender() instanceof Mailbox);
            return isNull == expected ? Optional.of(String.valueOf(expected)) : Optional.empty();
        }
    }

    /** {@code recipient-in}: at RCPT the recipient being judged; at DATA any recipient. */
    public record RecipientIn(String list, AddressSet set) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            for (Mailbox m : recipientsOf(f)) {
                Optional<String> e = set.match(m);
                if (e.isPresent()) {
                    return Optional.of(list + ": " + clip(m.address()) + " matches " + e.get());
                }
            }
            return Optional.empty();
        }
    }

    /** {@code recipient-matches}: at RCPT the recipient being judged; at DATA any recipient. */
    public record RecipientMatches(Regex regex) implements Matcher {
        @Override
        public Optional<String> match(Facts f) {
            for (Mailbox m : recipientsOf(f)) {
                Optional<String> hit = regex.find(m.address());
                if (hit.isPresent()) {
                    return Optional.of(
                            regex + ": \"" + clip(hit.get()) + "\" in " + clip(m.address()));
                }
            }
            return Optional.empty();
        }
    }

    private static List<Mailbox> recipientsOf(Facts f) {
        if (f.stage() == Stage.RCPT) {
            return f.recipient() == null ? List.of() : List.of(f.recipient());
        }
        return f.recipients();
    }
}
