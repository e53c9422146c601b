package dev.bulwark.relay;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

import javax.net.ssl.SSLContext;

/**
 * Where and how the relay talks to the next hop.
 *
 * @param host host name or address of the next hop
 * @param port its SMTP port
 * @param heloName the name this node gives in EHLO
 * @param tls STARTTLS policy towards the next hop
 * @param trust the SSL context used to verify the next hop when {@code tls} is REQUIRED (empty: the
 *     JDK's default trust store)
 * @param connectTimeout how long to wait for the TCP connection and the banner
 * @param commandTimeout how long to wait for the reply to one command
 * @param dataTimeout how long to wait for the reply after the final dot
 * @param maxIdle connections kept open between transactions
 * @param idleTimeout how long an idle connection is kept
 * @param maxConnections connections open at once (busy and idle); a transaction that finds none
 *     free waits up to {@code connectTimeout} for one, then is deferred
 */
public record NextHopConfig(
        String host,
        int port,
        String heloName,
        TlsMode tls,
        Optional<SSLContext> trust,
        Duration connectTimeout,
        Duration commandTimeout,
        Duration dataTimeout,
        int maxIdle,
        Duration idleTimeout,
        int maxConnections) {

    public NextHopConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(heloName, "heloName");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(trust, "trust");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(dataTimeout, "dataTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (maxConnections < 1) {
            throw new IllegalArgumentException(
                    maxConnections
                            + " is not a valid next-hop connection limit: it must be positive");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(
                    port + " is not a valid next-hop port: it must be between 1 and 65535");
        }
    }

    /** Plain SMTP to {@code host:port} with the default timeouts and pool size. */
    public static NextHopConfig of(String host, int port, String heloName) {
        return new NextHopConfig(
                host,
                port,
                heloName,
                TlsMode.NONE,
                Optional.empty(),
                Duration.ofSeconds(10),
                Duration.ofSeconds(60),
                Duration.ofSeconds(120),
                64,
                Duration.ofSeconds(10),
                100);
    }

    public NextHopConfig withTimeouts(Duration connect, Duration command, Duration data) {
        return new NextHopConfig(
                host,
                port,
                heloName,
                tls,
                trust,
                connect,
                command,
                data,
                maxIdle,
                idleTimeout,
                maxConnections);
    }

    public NextHopConfig withTls(TlsMode mode, Optional<SSLContext> trustContext) {
        return new NextHopConfig(
                host,
                port,
                heloName,
                mode,
                trustContext,
                connectTimeout,
                commandTimeout,
                dataTimeout,
                maxIdle,
                idleTimeout,
                maxConnections);
    }

    public NextHopConfig withPool(int idleConnections, Duration idle, int connections) {
        return new NextHopConfig(
                host,
                port,
                heloName,
                tls,
                trust,
                connectTimeout,
                commandTimeout,
                dataTimeout,
                idleConnections,
                idle,
                connections);
    }

    public String address() {
        return host + ":" + port;
    }
}
