package dev.bulwark.check.mime;

import java.util.List;

/** Content-Transfer-Encoding decoders that never throw: bad input is skipped and reported. */
final class Transfer {
    private Transfer() {}

    private static final byte[] B64 = new byte[256];

    static {
        java.util.Arrays.fill(B64, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++) {
            B64[alphabet.charAt(i)] = (byte) i;
        }
        // RFC 4648 URL-safe letters appear in sloppy encoders; accept them.
        B64['-'] = 62;
        B64['_'] = 63;
    }

    /**
     * Decoded octets; {@code complete} is false when decoding stopped at the output limit before
     * the end of the input.
     */
    record Decoded(byte[] bytes, boolean complete) {}

    static byte[] base64(byte[] in) {
        return base64(in, 0, in.length, null);
    }

    static byte[] base64(byte[] in, List<String> defects) {
        return base64(in, 0, in.length, defects);
    }

    static byte[] base64(byte[] in, int off, int len, List<String> defects) {
        return base64(in, off, len, defects, Integer.MAX_VALUE).bytes();
    }

    /**
     * Decodes base64, skipping whitespace; other stray characters are skipped and reported. Stops
     * after {@code maxOut} octets.
     */
    static Decoded base64(byte[] in, int off, int len, List<String> defects, int maxOut) {
        byte[] out = new byte[(int) Math.min(len / 4L * 3 + 3, maxOut + 3L)];
        boolean complete = true;
        int n = 0;
        int acc = 0;
        int bits = 0;
        boolean bad = false;
        boolean padded = false;
        for (int i = off, end = off + len; i < end; i++) {
            int c = in[i] & 0xff;
            if (c == '\r' || c == '\n' || c == ' ' || c == '\t') {
                continue;
            }
            if (c == '=') {
                padded = true;
                continue;
            }
            int v = B64[c];
            if (v < 0 || padded) {
                // Data after padding is a second concatenated encoding (seen in the wild): keep
                // going.
                if (v < 0) {
                    bad = true;
                    continue;
                }
                padded = false;
            }
            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8) {
                if (n >= maxOut) {
                    complete = false;
                    break;
                }
                bits -= 8;
                out[n++] = (byte) (acc >> bits);
            }
        }
        if (bad && defects != null) {
            add(defects, "invalid base64");
        }
        return new Decoded(n == out.length ? out : java.util.Arrays.copyOf(out, n), complete);
    }

    /**
     * Decodes quoted-printable: {@code =XX}, soft line breaks; a stray {@code =} is kept literally.
     */
    static byte[] quotedPrintable(byte[] in, int off, int len, List<String> defects) {
        return quotedPrintable(in, off, len, defects, Integer.MAX_VALUE).bytes();
    }

    /** As above, stopping after {@code maxOut} octets. */
    static Decoded quotedPrintable(byte[] in, int off, int len, List<String> defects, int maxOut) {
        byte[] out = new byte[Math.min(len, maxOut)];
        int n = 0;
        boolean bad = false;
        boolean complete = true;
        int end = off + len;
        for (int i = off; i < end; i++) {
            if (n >= maxOut) {
                complete = false;
                break;
            }
            byte c = in[i];
            if (c != '=') {
                out[n++] = c;
                continue;
            }
            // soft line break: '=' then optional trailing whitespace then LF or CRLF
            int j = i + 1;
            while (j < end && (in[j] == ' ' || in[j] == '\t')) {
                j++;
            }
            if (j < end && in[j] == '\n') {
                i = j;
                continue;
            }
            if (j + 1 < end && in[j] == '\r' && in[j + 1] == '\n') {
                i = j + 1;
                continue;
            }
            if (j == end) {
                i = j;
                continue;
            }
            if (i + 2 < end) {
                int h = hex(in[i + 1]);
                int l = hex(in[i + 2]);
                if (h >= 0 && l >= 0) {
                    out[n++] = (byte) (h * 16 + l);
                    i += 2;
                    continue;
                }
            }
            bad = true;
            out[n++] = c;
        }
        if (bad && defects != null) {
            add(defects, "invalid quoted-printable");
        }
        return new Decoded(n == out.length ? out : java.util.Arrays.copyOf(out, n), complete);
    }

    static int hex(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    }

    static void add(List<String> defects, String defect) {
        if (!defects.contains(defect)) {
            defects.add(defect);
        }
    }
}
