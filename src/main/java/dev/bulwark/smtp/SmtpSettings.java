package dev.bulwark.smtp;

import dev.bulwark.site.Cidr;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import javax.net.ssl.SSLContext;

/**
 * How the SMTP listener is set up on this node (site settings, never filtering decisions). The
 * node's name and the spool are the transaction flow's.
 *
 * @param listen address and port to listen on (port 0 picks a free one)
 * @param tls the server certificate for STARTTLS; empty disables STARTTLS
 * @param trustedBalancers addresses whose connections must start with a PROXY protocol header
 */
public record SmtpSettings(
        InetSocketAddress listen, Optional<SSLContext> tls, List<Cidr> trustedBalancers) {

    public SmtpSettings {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(tls, "tls");
        trustedBalancers = List.copyOf(trustedBalancers);
    }

    /** Plain SMTP on {@code listen}. */
    public static SmtpSettings of(InetSocketAddress listen) {
        return new SmtpSettings(listen, Optional.empty(), List.of());
    }

    public SmtpSettings withTls(SSLContext context) {
        return new SmtpSettings(listen, Optional.of(context), trustedBalancers);
    }

    public SmtpSettings withTrustedBalancers(List<Cidr> balancers) {
        return new SmtpSettings(listen, tls, balancers);
    }
}
