package dev.bulwark.classifier;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One training message: where it came from (for diagnostics only), its class, and its bytes as the
 * relay would have received them (see {@link #asReceived}).
 *
 * @param name where the message is, as diagnostics print it: a file, or {@code ARCHIVE!/ENTRY} for
 *     a message inside an archive
 * @param bytes the message as received; not copied, never modify
 * @param sha256 lower-case hex SHA-256 of {@code bytes}: the message's identity in the corpus
 *     digest, the training order and the fold assignment
 */
public record CorpusMessage(String name, Label label, byte[] bytes, String sha256) {

    public CorpusMessage {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(sha256, "sha256");
    }

    /** A message from a file's bytes: normalised with {@link #asReceived}, its digest computed. */
    public static CorpusMessage of(String name, Label label, byte[] file) {
        byte[] bytes = asReceived(file);
        return new CorpusMessage(name, label, bytes, sha256(bytes));
    }

    /**
     * What the relay would have received for a stored message: without an mbox {@code From } line
     * at the top (a mailbox's separator, never part of a message on the wire) and with every line
     * ending in CRLF, as SMTP delivers it. Training on exactly what the relay scores keeps the two
     * feature streams alike.
     */
    public static byte[] asReceived(byte[] file) {
        int start = 0;
        if (file.length >= 5
                && new String(file, 0, 5, StandardCharsets.ISO_8859_1).equals("From ")) {
            while (start < file.length && file[start] != '\n') {
                start++;
            }
            start = Math.min(file.length, start + 1);
        }
        int bare = 0;
        for (int i = start; i < file.length; i++) {
            if (file[i] == '\n' && (i == start || file[i - 1] != '\r')) {
                bare++;
            }
        }
        byte[] out = new byte[file.length - start + bare];
        int o = 0;
        for (int i = start; i < file.length; i++) {
            byte b = file[i];
            if (b == '\n' && (i == start || file[i - 1] != '\r')) {
                out[o++] = '\r';
            }
            out[o++] = b;
        }
        return out;
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
