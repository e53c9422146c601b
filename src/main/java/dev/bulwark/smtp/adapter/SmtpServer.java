package dev.bulwark.smtp.adapter;

import dev.bulwark.check.Limits;
import dev.bulwark.flow.Flow;
import dev.bulwark.ops.ConnectionListener;
import dev.bulwark.smtp.SmtpService;
import dev.bulwark.smtp.SmtpSession;
import dev.bulwark.smtp.SmtpSettings;

import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The SMTP listener: SubEthaSMTP accepts connections, reads command lines and runs each session on
 * a virtual thread; every command is handed to the session layer ({@link SmtpSession}), which asks
 * the transaction {@link Flow}. This package is the only code that knows the library.
 */
public final class SmtpServer implements AutoCloseable {

    /** How long past the command deadline a single read may block before the library gives up. */
    private static final Duration READ_BACKSTOP = Duration.ofSeconds(30);

    private final SMTPServer server;
    private final ExecutorService executor;
    private final SmtpService service;

    private SmtpServer(SMTPServer server, ExecutorService executor, SmtpService service) {
        this.server = server;
        this.executor = executor;
        this.service = service;
    }

    /** Starts listening with {@code flow}; returns once the socket is bound. */
    public static SmtpServer start(SmtpSettings settings, Flow flow) {
        return start(settings, flow, ConnectionListener.NONE);
    }

    /**
     * Starts listening with {@code flow} (the policy, its rate limits, the next hop, where audit
     * records go); {@code connections} hears every session start and end (for the metrics).
     */
    public static SmtpServer start(
            SmtpSettings settings, Flow flow, ConnectionListener connections) {
        Limits limits = flow.policy().limits();
        SmtpService service = new SmtpService(flow, settings, connections);
        Map<Session, SmtpSession> sessions = new ConcurrentHashMap<>();
        ExecutorService executor =
                Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("smtp-", 0).factory());
        InetSocketAddress listen = settings.listen();
        SMTPServer server =
                SMTPServer.port(listen.getPort())
                        .bindAddress(listen.getAddress())
                        .hostName(flow.hostname())
                        .softwareName("Bulwark")
                        .executorService(executor)
                        // The library's default backlog of 50 overflows in a burst of connections:
                        // the kernel then drops handshakes and clients wait seconds for SYN-ACK
                        // retransmissions.
                        .backlog(Math.max(1024, limits.maxConnections()))
                        // The service enforces the real cap with an enhanced-code reply; the
                        // library's own cap only stops runaway accepting.
                        .maxConnections(limits.maxConnections() + 64)
                        .connectionTimeout(
                                (int) limits.commandTimeout().plus(READ_BACKSTOP).toMillis(),
                                TimeUnit.MILLISECONDS)
                        .sessionIdFactory(new SessionIds())
                        .sessionHandler(new Gatekeeper(service, sessions))
                        .proxyHandler(new ProxyProtocol(settings.trustedBalancers()))
                        .serverSocketFactory(GuardedSocket::serverSocket)
                        .build();
        var handler = server.getCommandHandler();
        for (String name : Verb.NAMES) {
            handler.addCommand(new Verb(name, sessions));
        }
        try {
            server.start();
        } catch (RuntimeException e) {
            executor.shutdownNow();
            service.close();
            throw e;
        }
        return new SmtpServer(server, executor, service);
    }

    /** The port actually bound (useful when the settings asked for port 0). */
    public int port() {
        return server.getPort() != 0 ? server.getPort() : server.getPortAllocated();
    }

    /** Connections currently open. */
    public int activeConnections() {
        return service.activeConnections();
    }

    @Override
    public void close() {
        server.stop();
        executor.shutdownNow();
        service.close();
    }
}
