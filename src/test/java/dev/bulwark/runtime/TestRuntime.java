package dev.bulwark.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.util.Optional;
import java.util.Random;

/** A small runtime directory laid out like the real one, for tests that need no jlink. */
public final class TestRuntime {
    private TestRuntime() {}

    static final String POLICY = "{\"rules\": []}\n";

    public static Path create(Path parent) throws IOException {
        Path home = Files.createDirectories(parent.resolve("bulwark"));
        Random r = new Random(42);
        write(home, "app/bulwark-1.2.3.jar", bytes(r, 5000));
        write(home, "app/re2j-1.8.jar", bytes(r, 3000));
        write(home, "bin/bulwark", "#!/bin/sh\nexit 0\n".getBytes(StandardCharsets.US_ASCII));
        write(home, "lib/modules", bytes(r, 20000));
        write(home, "policy/policy.json", POLICY.getBytes(StandardCharsets.UTF_8));
        write(
                home,
                "policy/policy.sha256",
                (Digests.sha256Hex(POLICY.getBytes(StandardCharsets.UTF_8)) + "\n")
                        .getBytes(StandardCharsets.US_ASCII));
        return home;
    }

    public static RuntimeManifest seal(Path home, Optional<KeyPair> key) throws IOException {
        return Packager.seal(
                home,
                "1.2.3",
                "0123456789abcdef0123456789abcdef01234567",
                false,
                "25.0.3+9-LTS",
                key);
    }

    /**
     * A fresh Ed25519 key pair, written as a PKCS#8 PEM file and read back the way the build reads
     * it.
     */
    static KeyPair key(Path dir, String name) throws Exception {
        KeyPair generated = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Path pem = dir.resolve(name + ".pem");
        Files.writeString(pem, Signing.pem("PRIVATE KEY", generated.getPrivate().getEncoded()));
        return Signing.readPrivateKey(pem);
    }

    static Path publicPem(Path dir, String name, PublicKey key) throws IOException {
        Path pem = dir.resolve(name + ".pub.pem");
        Files.writeString(pem, Signing.pem("PUBLIC KEY", key.getEncoded()));
        return pem;
    }

    /** Flips the lowest bit of the byte at {@code offset} (negative: from the end). */
    static void flipByte(Path file, long offset) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int i = (int) (offset < 0 ? b.length + offset : offset);
        b[i] ^= 1;
        Files.write(file, b);
    }

    private static void write(Path home, String path, byte[] content) throws IOException {
        Path p = home.resolve(path);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }
}
