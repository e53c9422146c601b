package dev.bulwark.smtp;

import java.util.Objects;

/**
 * One SMTP reply: code, enhanced status code (RFC 3463) and text. Build them in {@link Replies},
 * the one place that decides what a client is told.
 */
public record Reply(int code, String enhanced, String text) {

    public Reply {
        Objects.requireNonNull(enhanced, "enhanced");
        Objects.requireNonNull(text, "text");
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException(code + " is not a valid SMTP reply code");
        }
        if (enhanced.charAt(0) != Character.forDigit(code / 100, 10)) {
            throw new IllegalArgumentException("enhanced code " + enhanced + " does not match reply code " + code);
        }
    }

    public boolean isError() {
        return code >= 400;
    }

    public boolean isTransient() {
        return code >= 400 && code < 500;
    }

    /** The reply as sent, without the CRLF. */
    public String line() {
        return code + " " + enhanced + " " + text;
    }

    @Override
    public String toString() {
        return line();
    }
}
