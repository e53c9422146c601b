package dev.bulwark.smtp;

import dev.bulwark.site.Cidr;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import javax.net.ssl.SSLContext;

/**
 * How the SMTP listener is set up on this node (site settings, never filtering decisions).
 *
 * @param hostname the name in the banner, EHLO reply and Received header
 * @param listen address and port to listen on (port 0 picks a free one)
 * @param tls the server certificate for STARTTLS; empty disables STARTTLS
 * @param trustedBalancers addresses whose connections must start with a PROXY protocol header
 * @param spoolDirectory where messages larger than the memory threshold are spilled
 * @param spoolMemoryThreshold message octets kept in memory before spilling to a file
 */
public record SmtpSettings(
        String hostname,
        InetSocketAddress listen,
        Optional<SSLContext> tls,
        List<Cidr> trustedBalancers,
        Path spoolDirectory,
        long spoolMemoryThreshold) {

    public SmtpSettings {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(tls, "tls");
        trustedBalancers = List.copyOf(trustedBalancers);
        Objects.requireNonNull(spoolDirectory, "spoolDirectory");
    }

    /** Plain SMTP on {@code listen}, spooling to the JVM's temporary directory past 1 MiB. */
    public static SmtpSettings of(String hostname, InetSocketAddress listen) {
        return new SmtpSettings(
                hostname,
                listen,
                Optional.empty(),
                List.of(),
                Path.of(System.getProperty("java.io.tmpdir")),
                1024 * 1024);
    }

    public SmtpSettings withTls(SSLContext context) {
        return new SmtpSettings(
                hostname,
                listen,
                Optional.of(context),
                trustedBalancers,
                spoolDirectory,
                spoolMemoryThreshold);
    }

    public SmtpSettings withTrustedBalancers(List<Cidr> balancers) {
        return new SmtpSettings(
                hostname, listen, tls, balancers, spoolDirectory, spoolMemoryThreshold);
    }

    public SmtpSettings withSpool(Path directory, long memoryThreshold) {
        return new SmtpSettings(
                hostname, listen, tls, trustedBalancers, directory, memoryThreshold);
    }
}
