package dev.bulwark.smtp.adapter;

import java.util.List;
import java.util.Set;

import javax.net.ssl.SSLParameters;

/**
 * The TLS versions and cipher suites Bulwark accepts from clients: TLS 1.2 and 1.3, AEAD with
 * forward secrecy only.
 */
final class TlsPolicy {

    static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    static final List<String> CIPHERS =
            List.of(
                    "TLS_AES_256_GCM_SHA384",
                    "TLS_AES_128_GCM_SHA256",
                    "TLS_CHACHA20_POLY1305_SHA256",
                    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private TlsPolicy() {}

    static SSLParameters serverParameters(SSLParameters params, String[] supported) {
        Set<String> available = Set.of(supported);
        params.setProtocols(PROTOCOLS.toArray(String[]::new));
        params.setCipherSuites(CIPHERS.stream().filter(available::contains).toArray(String[]::new));
        params.setUseCipherSuitesOrder(true);
        params.setNeedClientAuth(false);
        return params;
    }
}
