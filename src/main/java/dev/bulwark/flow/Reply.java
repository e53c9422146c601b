package dev.bulwark.flow;

import java.util.Objects;

/**
 * One SMTP reply: code, enhanced status code (RFC 3463) and text. Build them in {@link Replies},
 * the one place that decides what a client is told. Intermediate replies (3xx) and greetings carry
 * no enhanced code: RFC 3463 defines classes 2, 4 and 5 only.
 */
public record Reply(int code, String enhanced, String text) {

    public Reply {
        Objects.requireNonNull(enhanced, "enhanced");
        Objects.requireNonNull(text, "text");
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException(code + " is not a valid SMTP reply code");
        }
        if (code / 100 == 3 || (code == 220 && enhanced.isEmpty())) {
            if (!enhanced.isEmpty() && code / 100 == 3) {
                throw new IllegalArgumentException("a " + code + " reply has no enhanced code");
            }
        } else if (enhanced.isEmpty() || enhanced.charAt(0) != Character.forDigit(code / 100, 10)) {
            throw new IllegalArgumentException(
                    "enhanced code " + enhanced + " does not match reply code " + code);
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
        return enhanced.isEmpty() ? code + " " + text : code + " " + enhanced + " " + text;
    }

    @Override
    public String toString() {
        return line();
    }
}
