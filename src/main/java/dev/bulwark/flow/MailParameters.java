package dev.bulwark.flow;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * The MAIL FROM parameters a client gave (RFC 1870, 6152, 6531), already checked for syntax.
 *
 * @param size the declared SIZE, if any
 * @param eightBitMime BODY=8BITMIME
 * @param smtpUtf8 SMTPUTF8
 */
public record MailParameters(OptionalLong size, boolean eightBitMime, boolean smtpUtf8) {

    public MailParameters {
        Objects.requireNonNull(size, "size");
    }

    public static MailParameters none() {
        return new MailParameters(OptionalLong.empty(), false, false);
    }
}
