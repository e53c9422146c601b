package dev.bulwark.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;

class SigningTest {

    @TempDir Path dir;

    @Test
    void derivesThePublicKeyFromAPkcs8PrivateKey() throws Exception {
        KeyPair generated = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Path pem = dir.resolve("key.pem");
        Files.writeString(pem, Signing.pem("PRIVATE KEY", generated.getPrivate().getEncoded()));

        KeyPair read = Signing.readPrivateKey(pem);

        assertThat(read.getPublic().getEncoded()).isEqualTo(generated.getPublic().getEncoded());
        byte[] data = "manifest".getBytes(StandardCharsets.US_ASCII);
        assertThat(Signing.verify(generated.getPublic(), data, Signing.sign(read, data))).isTrue();
    }

    @Test
    void signsDeterministicallySoThatSignedBuildsStayReproducible() throws Exception {
        KeyPair key = TestRuntime.key(dir, "k");
        byte[] data = "same manifest".getBytes(StandardCharsets.US_ASCII);

        assertThat(Signing.sign(key, data)).isEqualTo(Signing.sign(key, data));
    }

    @Test
    void refusesAKeyOfAnotherKind() throws Exception {
        KeyPair ec = KeyPairGenerator.getInstance("EC").generateKeyPair();
        Path pem = dir.resolve("ec.pem");
        Files.writeString(pem, Signing.pem("PRIVATE KEY", ec.getPrivate().getEncoded()));

        assertThatThrownBy(() -> Signing.readPrivateKey(pem))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not an Ed25519 private key");
        Files.writeString(pem, "hello");
        assertThatThrownBy(() -> Signing.readPrivateKey(pem))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("expected a PEM block '-----BEGIN PRIVATE KEY-----'");
    }
}
