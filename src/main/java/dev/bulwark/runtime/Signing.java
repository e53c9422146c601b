package dev.bulwark.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * Ed25519 keys in PEM files and detached signatures over the manifest, with the JDK's own provider.
 */
final class Signing {
    private Signing() {}

    /** Signs {@code data}; Ed25519 signatures are deterministic, so two builds sign identically. */
    static byte[] sign(KeyPair key, byte[] data) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key.getPrivate());
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with Ed25519: " + e.getMessage(), e);
        }
    }

    static boolean verify(PublicKey key, byte[] data, byte[] signature) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * Reads an Ed25519 private key ({@code -----BEGIN PRIVATE KEY-----}, PKCS#8, as written by
     * {@code openssl genpkey -algorithm ed25519}) and derives its public half.
     */
    static KeyPair readPrivateKey(Path pem) throws IOException {
        byte[] der = pem(pem, "PRIVATE KEY");
        PrivateKey given;
        try {
            given = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IOException(
                    pem + ": not an Ed25519 private key (PKCS#8): " + e.getMessage(), e);
        }
        byte[] seed =
                ((EdECPrivateKey) given)
                        .getBytes()
                        .orElseThrow(
                                () ->
                                        new IOException(
                                                pem
                                                        + ": the private key's bytes are not"
                                                        + " accessible"));
        // The JDK has no call that derives an Ed25519 public key, but its key pair generator
        // turns 32 random bytes into a key pair: feed it the private key's seed.
        KeyPair pair;
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            g.initialize(NamedParameterSpec.ED25519, new SeedRandom(seed));
            pair = g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IOException(pem + ": cannot derive the public key: " + e.getMessage(), e);
        }
        byte[] probe = "bulwark signing key check".getBytes(StandardCharsets.US_ASCII);
        if (!Arrays.equals(((EdECPrivateKey) pair.getPrivate()).getBytes().orElseThrow(), seed)
                || !verify(
                        pair.getPublic(),
                        probe,
                        sign(new KeyPair(pair.getPublic(), given), probe))) {
            throw new IOException(pem + ": the derived public key does not match the private key");
        }
        return new KeyPair(pair.getPublic(), given);
    }

    /**
     * Reads an Ed25519 public key ({@code -----BEGIN PUBLIC KEY-----}, X.509 SubjectPublicKeyInfo).
     */
    static PublicKey readPublicKey(Path pem) throws IOException {
        byte[] der = pem(pem, "PUBLIC KEY");
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IOException(pem + ": not an Ed25519 public key: " + e.getMessage(), e);
        }
    }

    static String pem(String label, byte[] der) {
        String b64 =
                Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + b64 + "\n-----END " + label + "-----\n";
    }

    private static byte[] pem(Path file, String label) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        int b = text.indexOf(begin);
        int e = text.indexOf(end);
        if (b < 0 || e < b) {
            throw new IOException(file + ": expected a PEM block '" + begin + "'");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        } catch (IllegalArgumentException ex) {
            throw new IOException(file + ": the PEM block is not valid base64", ex);
        }
    }

    /** Hands out a fixed seed instead of random bytes; used only to derive a public key. */
    private static final class SeedRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private final byte[] seed;

        SeedRandom(byte[] seed) {
            super(new byte[0]);
            this.seed = seed.clone();
        }

        @Override
        public void nextBytes(byte[] bytes) {
            if (bytes.length != seed.length) {
                throw new IllegalStateException(
                        "expected a request for " + seed.length + " bytes, got " + bytes.length);
            }
            System.arraycopy(seed, 0, bytes, 0, bytes.length);
        }
    }
}
