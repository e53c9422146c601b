package dev.bulwark.check;

import dev.bulwark.envelope.ReversePath;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * Facts known at MAIL FROM.
 *
 * @param sender the reverse-path
 * @param declaredSize the SIZE= parameter, if the client sent one
 * @param smtpUtf8 the client asked for SMTPUTF8
 * @param eightBitMime the client declared BODY=8BITMIME
 * @param tls the session is encrypted
 */
public record MailFacts(
        ReversePath sender,
        OptionalLong declaredSize,
        boolean smtpUtf8,
        boolean eightBitMime,
        boolean tls) {

    public MailFacts {
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(declaredSize, "declaredSize");
    }
}
