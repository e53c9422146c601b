package dev.bulwark.smtp;

import dev.bulwark.audit.AuditSink;
import dev.bulwark.check.Filter;
import dev.bulwark.check.Limits;
import dev.bulwark.ops.ConnectionListener;
import dev.bulwark.ratelimit.RateLimiter;
import dev.bulwark.relay.NextHop;

import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The SMTP listener: SubEthaSMTP accepts connections and runs each session on a virtual thread;
 * every command is Bulwark's own ({@link Commands}), so protocol limits, smuggling defences,
 * enhanced status codes and in-line relaying are under our control.
 */
public final class SmtpServer implements AutoCloseable {

    /** How long past the command deadline a single read may block before the library gives up. */
    private static final Duration READ_BACKSTOP = Duration.ofSeconds(30);

    private final SMTPServer server;
    private final ExecutorService executor;
    private final Deadlines deadlines;
    private final Gatekeeper gatekeeper;

    private SmtpServer(
            SMTPServer server,
            ExecutorService executor,
            Deadlines deadlines,
            Gatekeeper gatekeeper) {
        this.server = server;
        this.executor = executor;
        this.deadlines = deadlines;
        this.gatekeeper = gatekeeper;
    }

    /** Starts listening; returns once the socket is bound. */
    public static SmtpServer start(
            SmtpSettings settings, Filter filter, NextHop nextHop, AuditSink audit, Clock clock) {
        return start(settings, filter, nextHop, audit, ConnectionListener.NONE, clock);
    }

    /** As above; {@code connections} hears every session start and end (for the metrics). */
    public static SmtpServer start(
            SmtpSettings settings,
            Filter filter,
            NextHop nextHop,
            AuditSink audit,
            ConnectionListener connections,
            Clock clock) {
        return start(
                settings,
                filter,
                RateLimiter.builder(java.util.List.of()).build(),
                nextHop,
                audit,
                connections,
                clock);
    }

    /**
     * Starts listening with everything a node has: the policy, its rate limits (consumed at
     * connect, MAIL, RCPT and DATA), the next hop, where audit records go, and who hears about
     * connections.
     */
    public static SmtpServer start(
            SmtpSettings settings,
            Filter filter,
            RateLimiter limiter,
            NextHop nextHop,
            AuditSink audit,
            ConnectionListener connections,
            Clock clock) {
        Limits limits = filter.limits();
        Deadlines deadlines =
                new Deadlines(
                        limits.commandTimeout().compareTo(limits.dataTimeout()) < 0
                                ? limits.commandTimeout()
                                : limits.dataTimeout());
        SessionIds ids = new SessionIds();
        ServerContext context =
                new ServerContext(
                        settings,
                        filter,
                        limits,
                        limiter,
                        nextHop,
                        audit,
                        deadlines,
                        clock,
                        ids,
                        connections);
        Map<Session, Conversation> conversations = new ConcurrentHashMap<>();
        Gatekeeper gatekeeper = new Gatekeeper(context, conversations);
        ExecutorService executor =
                Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("smtp-", 0).factory());
        InetSocketAddress listen = settings.listen();
        SMTPServer server =
                SMTPServer.port(listen.getPort())
                        .bindAddress(listen.getAddress())
                        .hostName(settings.hostname())
                        .softwareName("Bulwark")
                        .executorService(executor)
                        // The library's default backlog of 50 overflows in a burst of connections:
                        // the kernel
                        // then drops handshakes and clients wait seconds for SYN-ACK
                        // retransmissions.
                        .backlog(Math.max(1024, limits.maxConnections()))
                        // Our gatekeeper enforces the real cap with an enhanced-code reply; the
                        // library's
                        // own cap only stops runaway accepting.
                        .maxConnections(limits.maxConnections() + 64)
                        .connectionTimeout(
                                (int) limits.commandTimeout().plus(READ_BACKSTOP).toMillis(),
                                java.util.concurrent.TimeUnit.MILLISECONDS)
                        .sessionIdFactory(ids)
                        .sessionHandler(gatekeeper)
                        .proxyHandler(new ProxyProtocol(settings.trustedBalancers()))
                        .serverSocketFactory(GuardedSocket::serverSocket)
                        .build();
        register(server, conversations);
        server.start();
        return new SmtpServer(server, executor, deadlines, gatekeeper);
    }

    private static void register(SMTPServer server, Map<Session, Conversation> conversations) {
        var handler = server.getCommandHandler();
        handler.addCommand(new Verb("EHLO", Commands::ehlo, conversations));
        handler.addCommand(new Verb("HELO", Commands::helo, conversations));
        handler.addCommand(new Verb("MAIL", Commands::mail, conversations));
        handler.addCommand(new Verb("RCPT", Commands::rcpt, conversations));
        handler.addCommand(new Verb("DATA", Commands::data, conversations));
        handler.addCommand(new Verb("RSET", Commands::rset, conversations));
        handler.addCommand(new Verb("NOOP", Commands::noop, conversations));
        handler.addCommand(new Verb("QUIT", Commands::quit, conversations));
        handler.addCommand(new Verb("HELP", Commands::help, conversations));
        handler.addCommand(new Verb("VRFY", Commands::vrfy, conversations));
        handler.addCommand(new Verb("EXPN", Commands::vrfy, conversations));
        handler.addCommand(new Verb("AUTH", Commands::auth, conversations));
        handler.addCommand(new Verb("BDAT", Commands::bdat, conversations));
        handler.addCommand(new Verb("STARTTLS", Commands::startTls, conversations));
    }

    /** The port actually bound (useful when the settings asked for port 0). */
    public int port() {
        return server.getPort() != 0 ? server.getPort() : server.getPortAllocated();
    }

    /** Connections currently open. */
    public int activeConnections() {
        return gatekeeper.activeConnections();
    }

    @Override
    public void close() {
        server.stop();
        executor.shutdownNow();
        deadlines.close();
    }
}
