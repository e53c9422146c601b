package dev.bulwark.check;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * Facts known when a client connects.
 *
 * @param sessionId the SMTP session's id (also in the audit log)
 * @param client the client's address: the PROXY-protocol original when a trusted balancer sent one
 * @param balancer the trusted balancer's own address when PROXY protocol was used
 */
public record Connection(String sessionId, InetAddress client, Optional<InetAddress> balancer) {

    public Connection {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(balancer, "balancer");
    }
}
