package dev.bulwark.classifier;

/** Model bytes that are not a model this version can load; the message says what is wrong. */
public final class ModelFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }
}
