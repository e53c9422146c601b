package dev.bulwark.check;

import java.util.Objects;

/**
 * The policy digest: SHA-256 of the policy's canonical form, 64 lower-case hex digits. It names the
 * policy that decided in the {@code X-Bulwark} header, every audit record, the metrics and {@code
 * /version}; log lines and image names use the {@link #shortForm()}.
 */
public record PolicyDigest(String hex) {

    private static final int SHORT = 12;

    public PolicyDigest {
        Objects.requireNonNull(hex, "hex");
        if (hex.length() != 64 || !hex.chars().allMatch(PolicyDigest::lowerHex)) {
            throw new IllegalArgumentException(
                    "'" + hex + "' is not a policy digest: it must be 64 lower-case hex digits");
        }
    }

    public static PolicyDigest of(String hex) {
        return new PolicyDigest(hex);
    }

    /** The first 12 hex digits, as log lines and image names show the digest. */
    public String shortForm() {
        return hex.substring(0, SHORT);
    }

    @Override
    public String toString() {
        return hex;
    }

    private static boolean lowerHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
}
