package dev.bulwark.site;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Turns PEM files into the SSL contexts the SMTP listener and the next-hop client use. */
public final class Pem {

    private Pem() {}

    /** A server context from a certificate chain and a PKCS#8 private key. */
    public static SSLContext serverContext(Path certFile, Path keyFile) {
        try {
            return server(certFile, keyFile);
        } catch (GeneralSecurityException | IOException e) {
            throw new SiteSettingsException(
                    List.of(
                            "tls.cert/tls.key: cannot use "
                                    + certFile
                                    + " and "
                                    + keyFile
                                    + ": "
                                    + e.getMessage()));
        }
    }

    /** {@link #serverContext}, failing with the reason. */
    static SSLContext server(Path certFile, Path keyFile)
            throws GeneralSecurityException, IOException {
        List<Certificate> chain = certificates(certFile);
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("no certificate found in " + certFile);
        }
        PrivateKey key = privateKey(keyFile);
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        char[] password = new char[0];
        store.setKeyEntry("server", key, password, chain.toArray(Certificate[]::new));
        KeyManagerFactory kmf =
                KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }

    /** A client context trusting exactly the CA certificates in {@code caFile}. */
    public static SSLContext trustContext(Path caFile) {
        try {
            return trust(caFile);
        } catch (GeneralSecurityException | IOException e) {
            throw new SiteSettingsException(
                    List.of("next-hop.ca: cannot use " + caFile + ": " + e.getMessage()));
        }
    }

    /** {@link #trustContext}, failing with the reason. */
    static SSLContext trust(Path caFile) throws GeneralSecurityException, IOException {
        List<Certificate> cas = certificates(caFile);
        if (cas.isEmpty()) {
            throw new GeneralSecurityException("no certificate found in " + caFile);
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int i = 0;
        for (Certificate c : cas) {
            store.setCertificateEntry("ca" + i++, c);
        }
        TrustManagerFactory tmf =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    static List<Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        Collection<? extends Certificate> certs =
                factory.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)));
        return new ArrayList<>(certs);
    }

    static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        if (text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY")) {
            throw new GeneralSecurityException(
                    "the key is in a legacy format; convert it with "
                            + "'openssl pkcs8 -topk8 -nocrypt -in old.pem -out key.pem'");
        }
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new GeneralSecurityException("no 'BEGIN PRIVATE KEY' block found");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : List.of("EC", "RSA", "Ed25519", "EdDSA", "RSASSA-PSS")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException tryNext) {
                // the key is of another algorithm
            }
        }
        throw new GeneralSecurityException("unsupported private key algorithm");
    }
}
