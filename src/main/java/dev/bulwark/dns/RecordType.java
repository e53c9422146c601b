package dev.bulwark.dns;

import java.util.Locale;
import java.util.Optional;

/** The record types sender authentication and block lists ask for. */
public enum RecordType {
    A(1),
    AAAA(28),
    MX(15),
    TXT(16),
    PTR(12);

    private final int code;

    RecordType(int code) {
        this.code = code;
    }

    /** The type's number on the wire (RFC 1035, RFC 3596). */
    public int code() {
        return code;
    }

    /** The type named {@code text} (any case), if it is one of ours. */
    public static Optional<RecordType> named(String text) {
        for (RecordType t : values()) {
            if (t.name().equals(text.toUpperCase(Locale.ROOT))) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
