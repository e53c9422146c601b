package dev.bulwark.relay;

import dev.bulwark.envelope.ReversePath;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The next hop: the only place that speaks SMTP to the server behind Bulwark. Thread-safe and shared
 * by all sessions; it keeps a small pool of idle connections so a transaction usually costs no
 * connection set-up. Nothing is queued here: every call is made while the client waits.
 */
public final class NextHop implements AutoCloseable {

    private final NextHopConfig config;
    private final LongSupplier nanoTime;
    private final ReentrantLock lock = new ReentrantLock();
    private final Deque<SmtpConnection> idle = new ArrayDeque<>();
    private boolean closed;

    public NextHop(NextHopConfig config) {
        this(config, System::nanoTime);
    }

    NextHop(NextHopConfig config, LongSupplier nanoTime) {
        this.config = config;
        this.nanoTime = nanoTime;
    }

    public NextHopConfig config() {
        return config;
    }

    /**
     * Starts a transaction: takes (or opens) a connection and sends MAIL FROM. Always returns a
     * transaction; if {@link RelayTransaction#mailReply()} is not positive, the transaction is
     * already finished and holds no connection.
     */
    public RelayTransaction begin(ReversePath sender, MailOptions options) {
        String mailCommand = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            SmtpConnection connection;
            boolean reused;
            try {
                connection = borrowIdle();
                reused = connection != null;
                if (connection == null) {
                    connection = SmtpConnection.open(config);
                }
            } catch (NextHopException e) {
                return RelayTransaction.failed(this, e.reply());
            } catch (IOException e) {
                return RelayTransaction.failed(this, connectFailure(e));
            }
            mailCommand = mailCommand(sender, options, connection);
            try {
                NextHopReply reply = connection.command(mailCommand, config.commandTimeout());
                if (!reply.isPositive()) {
                    reset(connection);
                    return RelayTransaction.failed(this, reply);
                }
                return new RelayTransaction(this, connection, reply);
            } catch (IOException e) {
                connection.close();
                if (!reused) {
                    return RelayTransaction.failed(this, brokenConnection(e));
                }
                // An idle connection the next hop had already closed: try once more with a fresh one.
            }
        }
        return RelayTransaction.failed(this, NextHopReply.failure("4.4.2", "next hop connection failed twice"));
    }

    /** Tests whether the next hop answers with a 220 banner, for readiness checks. */
    public boolean probe() {
        try (SmtpConnection c = SmtpConnection.open(config)) {
            c.quit();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    String mailCommand(ReversePath sender, MailOptions options, SmtpConnection connection) {
        StringBuilder cmd = new StringBuilder("MAIL FROM:").append(sender.toSmtp());
        if (options.size().isPresent() && connection.supports("SIZE")) {
            cmd.append(" SIZE=").append(options.size().getAsLong());
        }
        if (options.eightBitMime() && connection.supports("8BITMIME")) {
            cmd.append(" BODY=8BITMIME");
        }
        if (options.smtpUtf8()) {
            // Without SMTPUTF8 at the next hop the MAIL is sent anyway; a next hop that cannot take
            // UTF-8 addresses refuses them at RCPT, and that answer reaches the client in-line.
            if (connection.supports("SMTPUTF8")) {
                cmd.append(" SMTPUTF8");
            }
        }
        return cmd.toString();
    }

    NextHopReply connectFailure(IOException e) {
        if (e instanceof UnknownHostException) {
            return NextHopReply.failure("4.4.4", "cannot resolve next hop " + config.host());
        }
        if (e instanceof ConnectException) {
            return NextHopReply.failure("4.4.1", "next hop " + config.address() + " refused the connection");
        }
        if (e instanceof SocketTimeoutException) {
            return NextHopReply.failure("4.4.1", "no answer from next hop " + config.address() + " in time");
        }
        return NextHopReply.failure("4.4.1", "cannot reach next hop " + config.address() + ": " + e.getMessage());
    }

    static NextHopReply brokenConnection(IOException e) {
        if (e instanceof SocketTimeoutException) {
            return NextHopReply.failure("4.4.2", "next hop timed out");
        }
        return NextHopReply.failure("4.4.2", "connection to next hop broken: " + e.getMessage());
    }

    private SmtpConnection borrowIdle() {
        long now = nanoTime.getAsLong();
        long maxIdle = config.idleTimeout().toNanos();
        while (true) {
            SmtpConnection c;
            lock.lock();
            try {
                c = idle.pollFirst();
            } finally {
                lock.unlock();
            }
            if (c == null) {
                return null;
            }
            if (c.isOpen() && now - c.idleSince() < maxIdle) {
                return c;
            }
            c.quit();
        }
    }

    /** Sends RSET and returns the connection to the pool, or closes it if that fails. */
    void reset(SmtpConnection connection) {
        try {
            NextHopReply reply = connection.command("RSET", config.commandTimeout());
            if (reply.code() == 250) {
                release(connection);
                return;
            }
        } catch (IOException ignored) {
            // Fall through: a connection that cannot RSET is not reused.
        }
        connection.close();
    }

    /** Returns a connection in a clean state (no transaction open) to the pool. */
    void release(SmtpConnection connection) {
        if (!connection.isOpen()) {
            return;
        }
        SmtpConnection evicted = null;
        lock.lock();
        try {
            if (closed) {
                evicted = connection;
            } else {
                connection.markIdle(nanoTime.getAsLong());
                idle.addFirst(connection);
                if (idle.size() > config.maxIdle()) {
                    evicted = idle.pollLast();
                }
            }
        } finally {
            lock.unlock();
        }
        if (evicted != null) {
            evicted.quit();
        }
    }

    int idleConnections() {
        lock.lock();
        try {
            return idle.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        Deque<SmtpConnection> toClose;
        lock.lock();
        try {
            closed = true;
            toClose = new ArrayDeque<>(idle);
            idle.clear();
        } finally {
            lock.unlock();
        }
        toClose.forEach(SmtpConnection::quit);
    }
}
