package dev.bulwark.smtp;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Session deadlines. The server library's timeout applies to each read, so a client sending one
 * byte a minute would hold a session forever; these deadlines bound a whole command and a whole
 * DATA phase.
 */
final class Deadlines implements AutoCloseable {

    private final ScheduledThreadPoolExecutor timer;

    Deadlines() {
        timer = (ScheduledThreadPoolExecutor) Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "bulwark-deadlines");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    ScheduledFuture<?> schedule(Duration after, Runnable action) {
        return ((ScheduledExecutorService) timer).schedule(action, after.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
