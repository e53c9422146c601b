package dev.bulwark.ops;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task every interval, for the node's periodic self-verification. Injected so that tests run
 * a pass when they say so (a manual scheduler) instead of waiting for time to pass.
 */
@FunctionalInterface
public interface Scheduler {

    /**
     * Runs {@code task} every {@code interval}, the first time one interval from now; closing the
     * result stops it.
     */
    AutoCloseable every(Duration interval, Runnable task);

    /**
     * One daemon platform thread named {@code name}, at the lowest priority: the task runs between
     * the mail sessions' virtual threads, never instead of them. A task that throws is logged and
     * runs again next time.
     */
    static Scheduler daemonThread(String name) {
        return (interval, task) -> {
            ScheduledExecutorService executor =
                    Executors.newSingleThreadScheduledExecutor(
                            r -> {
                                Thread t = new Thread(r, name);
                                t.setDaemon(true);
                                t.setPriority(Thread.MIN_PRIORITY);
                                return t;
                            });
            long nanos = interval.toNanos();
            executor.scheduleWithFixedDelay(
                    () -> {
                        try {
                            task.run();
                        } catch (RuntimeException e) {
                            // A scheduled task that throws is never run again: keep the checks
                            // going, and say why this one failed.
                            org.slf4j.LoggerFactory.getLogger(Scheduler.class)
                                    .error("{} failed", name, e);
                        }
                    },
                    nanos,
                    nanos,
                    TimeUnit.NANOSECONDS);
            return executor::shutdownNow;
        };
    }
}
