package dev.bulwark.smtp.adapter;

import org.subethamail.smtp.server.SessionIdFactory;

import java.security.SecureRandom;

/**
 * Session ids unique across a fleet without coordination: 80 random bits in lower-case base32 (16
 * characters), safe in headers, logs and file names.
 */
final class SessionIds implements SessionIdFactory {

    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private final SecureRandom random = drbg();

    /** A DRBG generates in process after seeding, instead of reading /dev/urandom per session. */
    private static SecureRandom drbg() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (java.security.NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }

    @Override
    public String create() {
        byte[] bytes = new byte[10];
        random.nextBytes(bytes);
        char[] out = new char[16];
        long bits = 0;
        int have = 0;
        int o = 0;
        for (byte b : bytes) {
            bits = (bits << 8) | (b & 0xff);
            have += 8;
            while (have >= 5) {
                out[o++] = ALPHABET[(int) (bits >> (have - 5)) & 31];
                have -= 5;
            }
        }
        return new String(out);
    }
}
