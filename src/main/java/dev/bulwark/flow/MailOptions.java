package dev.bulwark.flow;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * MAIL FROM parameters passed on to the next hop, where it supports them.
 *
 * @param size the SIZE estimate (the client's declaration plus room for trace headers)
 * @param eightBitMime BODY=8BITMIME
 * @param smtpUtf8 SMTPUTF8
 */
public record MailOptions(OptionalLong size, boolean eightBitMime, boolean smtpUtf8) {

    public MailOptions {
        Objects.requireNonNull(size, "size");
    }

    public static MailOptions none() {
        return new MailOptions(OptionalLong.empty(), false, false);
    }
}
