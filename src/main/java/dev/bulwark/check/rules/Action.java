package dev.bulwark.check.rules;

import dev.bulwark.check.Verdict;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What a rule does when its condition holds; the names are the language's. */
public sealed interface Action {

    String name();

    /** Whether the action ends rule evaluation (for the stage, or the transaction). */
    default boolean terminal() {
        return true;
    }

    /** Allowlist: no further rules for the transaction (the session, at connect or helo). */
    record Accept() implements Action {
        public String name() {
            return "accept";
        }
    }

    record Reject(Optional<String> reply) implements Action {
        public Reject {
            Objects.requireNonNull(reply, "reply");
        }

        public String name() {
            return "reject";
        }
    }

    record Defer(Optional<String> reply) implements Action {
        public Defer {
            Objects.requireNonNull(reply, "reply");
        }

        public String name() {
            return "defer";
        }
    }

    /** Answer 250 and deliver nothing; decided now, carried out at DATA. */
    record Discard() implements Action {
        public String name() {
            return "discard";
        }
    }

    /** Deliver to the quarantine mailbox instead; decided now, carried out at DATA. */
    record Quarantine() implements Action {
        public String name() {
            return "quarantine";
        }
    }

    /** Mark the message (headers, subject prefix) and go on evaluating. */
    record Tag(TagSpec tag) implements Action {
        public Tag {
            Objects.requireNonNull(tag, "tag");
        }

        public String name() {
            return "tag";
        }

        @Override
        public boolean terminal() {
            return false;
        }
    }

    /** Add points to the transaction's score and go on evaluating. */
    record Score(double points) implements Action {
        public String name() {
            return "score";
        }

        @Override
        public boolean terminal() {
            return false;
        }
    }

    /**
     * How a tag marks a message. Header values may contain {@code {score}} and {@code {rules}},
     * replaced by the transaction's score and the ids of the rules that fired.
     */
    record TagSpec(List<Verdict.Header> headers, Optional<String> subjectPrefix) {
        public TagSpec {
            headers = List.copyOf(headers);
            Objects.requireNonNull(subjectPrefix, "subjectPrefix");
        }
    }
}
