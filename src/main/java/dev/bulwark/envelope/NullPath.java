package dev.bulwark.envelope;

/** The null reverse-path {@code <>}. */
public enum NullPath implements ReversePath {
    INSTANCE;

    @Override
    public String toSmtp() {
        return "<>";
    }

    @Override
    public String toString() {
        return "<>";
    }
}
