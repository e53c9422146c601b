package dev.bulwark.check;

import dev.bulwark.envelope.Mailbox;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What was decided at one stage. The transaction flow switches over this exhaustively and turns it
 * into a reply from its catalogue; a verdict never carries a reply code, only an optional text a
 * policy author wrote for the client.
 */
public sealed interface Verdict {

    /** No decision at this stage: go on to the next one. */
    record Continue() implements Verdict {}

    /**
     * Allowlisted: skip the remaining rule evaluation for this transaction and relay. Never
     * bypasses relay domains, protocol limits or the next hop's own answer.
     */
    record Accept() implements Verdict {}

    /** Refuse permanently (5xx). */
    record Reject(Reason reason, Optional<String> text) implements Verdict {
        public Reject {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(text, "text");
        }
    }

    /** Refuse temporarily (4xx): the client retries later. */
    record Defer(Reason reason, Optional<String> text) implements Verdict {
        public Defer {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(text, "text");
        }
    }

    /** Answer 250 and deliver nothing (DATA stage; earlier stages defer the decision to DATA). */
    record Discard() implements Verdict {}

    /** Deliver to the quarantine mailbox instead of the recipients (DATA stage). */
    record Quarantine(Mailbox mailbox) implements Verdict {
        public Quarantine {
            Objects.requireNonNull(mailbox, "mailbox");
        }
    }

    /** Deliver, with extra headers and/or a subject prefix (DATA stage). */
    record Tag(List<Header> headers, Optional<String> subjectPrefix) implements Verdict {
        public Tag {
            headers = List.copyOf(headers);
            Objects.requireNonNull(subjectPrefix, "subjectPrefix");
        }
    }

    /** A header the policy adds to a tagged message. */
    record Header(String name, String value) {
        public Header {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * Why a reject or defer happened. A policy's evaluation only gives {@link #POLICY} and {@link
     * #CHECK_FAILED}; the transaction flow also reports its own refusals with the others.
     */
    enum Reason {
        /** A policy rule or score threshold. */
        POLICY,
        /** The recipient is outside the relay domains (or uses relay tricks such as {@code %}). */
        RELAY_DENIED,
        /** A check failed unexpectedly: fail closed with a temporary error. */
        CHECK_FAILED,
        /** A protocol limit or a rate limit of the policy. */
        LIMIT,
        /** The message broke the protocol (a bare line ending, too big, a line too long). */
        PROTOCOL,
        /** The next hop refused, or could not be reached. */
        NEXT_HOP
    }

    Verdict CONTINUE = new Continue();
    Verdict ACCEPT = new Accept();
    Verdict DISCARD = new Discard();
}
