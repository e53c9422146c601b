package dev.bulwark.envelope;

/** A forward- or reverse-path that does not follow RFC 5321 (with RFC 6531 UTF-8 extensions). */
public final class PathSyntaxException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public PathSyntaxException(String message) {
        super(message);
    }
}
