package dev.bulwark.smtp;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Session deadlines. The server library's timeout applies to each read, so a client sending one
 * byte a minute would hold a session forever; these deadlines bound a whole command and a whole
 * DATA phase.
 *
 * <p>The sweeping thread never writes to a client: a client that does not read would block it, and
 * then no deadline on the node would fire. It claims overdue sessions and hands the 421 on.
 *
 * <p>Arming a deadline is a single volatile write, because it happens for every command: one timer
 * thread sweeps the open sessions a few times per shortest timeout and expires the overdue ones.
 * Rescheduling a timer task per command would wake the timer thread on every command instead.
 */
final class Deadlines implements AutoCloseable {

    /** Something with a deadline. */
    interface Watched {
        /** The deadline in {@link System#nanoTime()} terms, or {@link Long#MAX_VALUE} if none. */
        long deadline();

        /**
         * Called on the timer thread once the deadline has passed; must not block: anything that
         * may (writing to a client) goes to {@code handOff}.
         */
        void expire(Executor handOff);
    }

    private final Set<Watched> watched = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    private final LongSupplier nanoTime;
    private final Executor handOff;

    /** Production deadlines: each expiry's 421 is written on a virtual thread of its own. */
    Deadlines(Duration shortestTimeout) {
        this(shortestTimeout, System::nanoTime, Deadlines::onVirtualThread);
    }

    /** Deadlines on {@code nanoTime} whose expiries run on the sweeping thread (unit tests). */
    Deadlines(Duration shortestTimeout, LongSupplier nanoTime) {
        this(shortestTimeout, nanoTime, Runnable::run);
    }

    private static void onVirtualThread(Runnable r) {
        Thread.ofVirtual().name("bulwark-expiry").start(r);
    }

    /** Deadlines swept often enough for the shorter of the command and DATA timeouts. */
    static Deadlines forLimits(dev.bulwark.check.Limits limits) {
        return new Deadlines(
                limits.commandTimeout().compareTo(limits.dataTimeout()) < 0
                        ? limits.commandTimeout()
                        : limits.dataTimeout());
    }

    Deadlines(Duration shortestTimeout, LongSupplier nanoTime, Executor handOff) {
        this.nanoTime = nanoTime;
        this.handOff = handOff;
        long period = Math.clamp(shortestTimeout.toMillis() / 8, 10, 1000);
        timer =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "bulwark-deadlines");
                            t.setDaemon(true);
                            return t;
                        });
        timer.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    void watch(Watched w) {
        watched.add(w);
    }

    void unwatch(Watched w) {
        watched.remove(w);
    }

    long now() {
        return nanoTime.getAsLong();
    }

    void sweep() {
        long now = nanoTime.getAsLong();
        for (Watched w : watched) {
            if (w.deadline() - now <= 0) {
                try {
                    w.expire(handOff);
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(Deadlines.class)
                            .error("deadline handler failed", e);
                }
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
