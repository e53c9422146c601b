package dev.bulwark.check.mime;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns bytes into text the way a mail reader would: the declared charset when Java knows it; for
 * US-ASCII, an unknown or a missing charset, UTF-8 if the bytes are valid UTF-8 and Windows-1252
 * otherwise (8-bit text sent without a declaration is, in practice, one of the two).
 */
final class Charsets {
    private Charsets() {}

    private static final Charset NONE = StandardCharsets.US_ASCII; // marker for "guess"
    private static final ConcurrentHashMap<String, Charset> CACHE = new ConcurrentHashMap<>();

    static String decode(byte[] b, int off, int len, String declared) {
        if (ascii(b, off, len)) {
            return new String(b, off, len, StandardCharsets.ISO_8859_1);
        }
        Charset cs = declared == null ? NONE : lookup(declared);
        if (cs == NONE) {
            return guess(b, off, len);
        }
        return new String(b, off, len, cs);
    }

    private static Charset lookup(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        if (key.startsWith("\"") && key.endsWith("\"") && key.length() > 1) {
            key = key.substring(1, key.length() - 1);
        }
        if (CACHE.size() > 256) {
            CACHE.clear(); // bounded: charset names come from mail
        }
        return CACHE.computeIfAbsent(
                key,
                k -> {
                    if (k.isEmpty() || k.equals("us-ascii") || k.equals("ascii")) {
                        return NONE;
                    }
                    Charset c = EncodedWords.charsetOrNull(k);
                    if (c == null) {
                        return NONE;
                    }
                    // Mail labelled ISO-8859-1 is very often Windows-1252 (smart quotes): decode as
                    // the superset.
                    if (c.equals(StandardCharsets.ISO_8859_1)) {
                        return EncodedWords.windows1252();
                    }
                    return c;
                });
    }

    static String guess(byte[] b, int off, int len) {
        return guessOr(b, off, len, EncodedWords.windows1252());
    }

    /** UTF-8 if the octets are valid UTF-8, else {@code fallback} (Windows-1252 if null). */
    static String guessOr(byte[] b, int off, int len, Charset fallback) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, off, len))
                    .toString();
        } catch (CharacterCodingException e) {
            return new String(
                    b, off, len, fallback != null ? fallback : EncodedWords.windows1252());
        }
    }

    static boolean ascii(byte[] b, int off, int len) {
        for (int i = off, end = off + len; i < end; i++) {
            if (b[i] < 0) {
                return false;
            }
        }
        return true;
    }
}
