package dev.bulwark.relay;

import dev.bulwark.envelope.ReversePath;
import dev.bulwark.flow.MailOptions;
import dev.bulwark.flow.NextHopClient;
import dev.bulwark.flow.NextHopReply;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The next hop: the only place that speaks SMTP to the server behind Bulwark. Thread-safe and
 * shared by all sessions; it keeps a small pool of idle connections so a transaction usually costs
 * no connection set-up. Nothing is queued here: every call is made while the client waits.
 */
public final class NextHop implements NextHopClient, AutoCloseable {

    private final NextHopConfig config;
    private final LongSupplier nanoTime;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private final Deque<SmtpConnection> idle = new ArrayDeque<>();

    /** Connections open now, busy or idle, or being opened. */
    private int open;

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
     * Starts a transaction: takes (or opens) a connection, so that a next hop that is down is known
     * at MAIL. When the next hop offers PIPELINING, MAIL FROM is held back and sent together with
     * the first RCPT (one round trip instead of two); otherwise it is sent now. Always returns a
     * transaction; if {@link RelayTransaction#mailReply()} is not positive, the transaction is
     * already finished and holds no connection.
     */
    @Override
    public RelayTransaction begin(ReversePath sender, MailOptions options) {
        for (int attempt = 0; attempt < 2; attempt++) {
            Connected c = connect();
            if (c.failure != null) {
                return RelayTransaction.failed(this, c.failure);
            }
            String mailCommand = mailCommand(sender, options, c.connection);
            if (c.connection.supports("PIPELINING")) {
                return RelayTransaction.deferred(this, c.connection, mailCommand, c.reused);
            }
            try {
                NextHopReply reply = c.connection.command(mailCommand, config.commandTimeout());
                if (!reply.isPositive()) {
                    reset(c.connection);
                    return RelayTransaction.failed(this, reply);
                }
                return new RelayTransaction(this, c.connection, reply);
            } catch (IOException e) {
                closed(c.connection);
                if (!c.reused) {
                    return RelayTransaction.failed(this, brokenConnection(e));
                }
                // An idle connection the next hop had already closed: try once more with a fresh
                // one.
            }
        }
        return RelayTransaction.failed(
                this, NextHopReply.failure("4.4.2", "next hop connection failed twice"));
    }

    /** A connection for a transaction (taken from the pool or new), or why there is none. */
    record Connected(SmtpConnection connection, boolean reused, NextHopReply failure) {}

    Connected connect() {
        Lease lease = lease();
        if (lease == null) {
            return new Connected(
                    null,
                    false,
                    NextHopReply.failure(
                            "4.4.5",
                            "all "
                                    + config.maxConnections()
                                    + " connections to the next hop are busy"));
        }
        if (lease.idle != null) {
            return new Connected(lease.idle, true, null);
        }
        try {
            return new Connected(SmtpConnection.open(config), false, null);
        } catch (NextHopException e) {
            closed(null);
            return new Connected(null, false, e.reply());
        } catch (IOException e) {
            closed(null);
            return new Connected(null, false, connectFailure(e));
        }
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
            return NextHopReply.failure(
                    "4.4.1", "next hop " + config.address() + " refused the connection");
        }
        if (e instanceof SocketTimeoutException) {
            return NextHopReply.failure(
                    "4.4.1", "no answer from next hop " + config.address() + " in time");
        }
        return NextHopReply.failure(
                "4.4.1", "cannot reach next hop " + config.address() + ": " + e.getMessage());
    }

    static NextHopReply brokenConnection(IOException e) {
        if (e instanceof SocketTimeoutException) {
            return NextHopReply.failure("4.4.2", "next hop timed out");
        }
        return NextHopReply.failure("4.4.2", "connection to next hop broken: " + e.getMessage());
    }

    /** An idle connection to reuse, or (idle == null) permission to open a new one. */
    private record Lease(SmtpConnection idle) {}

    /**
     * Takes an idle connection, or a permit to open one, waiting up to the connect timeout while
     * all {@code maxConnections} are busy. Returns null if none became free in time.
     */
    private Lease lease() {
        long deadline = nanoTime.getAsLong() + config.connectTimeout().toNanos();
        long maxIdle = config.idleTimeout().toNanos();
        List<SmtpConnection> stale = new ArrayList<>();
        lock.lock();
        try {
            while (true) {
                long now = nanoTime.getAsLong();
                SmtpConnection c;
                while ((c = idle.pollFirst()) != null) {
                    if (c.isOpen() && now - c.idleSince() < maxIdle) {
                        return new Lease(c);
                    }
                    open--;
                    stale.add(c);
                }
                if (open < config.maxConnections()) {
                    open++;
                    return new Lease(null);
                }
                long left = deadline - now;
                if (left <= 0) {
                    return null;
                }
                freed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            lock.unlock();
            stale.forEach(SmtpConnection::quit);
        }
    }

    /** A connection (or an attempt to open one) is gone: its slot is free. */
    void closed(SmtpConnection connection) {
        if (connection != null) {
            connection.close();
        }
        lock.lock();
        try {
            open--;
            freed.signal();
        } finally {
            lock.unlock();
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
        closed(connection);
    }

    /** Returns a connection in a clean state (no transaction open) to the pool. */
    void release(SmtpConnection connection) {
        if (!connection.isOpen()) {
            closed(connection);
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
            if (evicted != null) {
                open--;
            }
            freed.signal();
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
            open -= idle.size();
            idle.clear();
        } finally {
            lock.unlock();
        }
        toClose.forEach(SmtpConnection::quit);
    }
}
