package dev.bulwark.policy.diff;

import dev.bulwark.check.Score;
import dev.bulwark.check.rules.RuleSet;
import dev.bulwark.flow.Policy;
import dev.bulwark.flow.Trial;
import dev.bulwark.policy.Cases;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.policy.Envelope;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * What a policy change does to real mail: every message of the corpus folders run through the
 * transaction flow ({@link Trial}, network-free, as {@code policy measure} and the gate run it)
 * under the old and the new policy, one message after the other on each worker, and every message
 * whose verdict, score band or fired rules differ reported with the per-folder totals.
 *
 * <p>Messages are read by the worker that evaluates them and dropped after both trials, so memory
 * holds at most a few messages per worker whatever the corpus size; only the file names of one
 * folder and the (small) changes are kept.
 */
public final class PolicyDiff {
    private PolicyDiff() {}

    /** The verdict names of {@link Trial#verdictName()}, in the order reports list them. */
    public static final List<String> VERDICTS =
            List.of("deliver", "accept", "tag", "quarantine", "discard", "reject", "defer");

    /** How many messages may wait for a worker, per worker (each is read when its turn comes). */
    private static final int QUEUED_PER_WORKER = 4;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /**
     * What one policy did with one message.
     *
     * @param verdict as {@link Trial#verdictName()}
     * @param stage where the decisive answer was given
     * @param score the running score at that answer
     * @param band the interval between thresholds the score falls in (see {@link Bands})
     * @param fired ids of the rules and limits that fired, sorted
     */
    public record Outcome(
            String verdict, String stage, Score score, String band, List<String> fired) {
        public Outcome {
            Objects.requireNonNull(verdict, "verdict");
            Objects.requireNonNull(stage, "stage");
            Objects.requireNonNull(score, "score");
            Objects.requireNonNull(band, "band");
            fired = List.copyOf(fired);
        }
    }

    /**
     * A message whose outcome changed.
     *
     * @param folder the corpus folder as given
     * @param message the message's file name in it
     */
    public record Change(String folder, String message, Outcome before, Outcome after) {

        /** The verdict, or the stage it was given at, differs. */
        public boolean verdictChanged() {
            return !before.verdict().equals(after.verdict())
                    || !before.stage().equals(after.stage());
        }

        public boolean bandChanged() {
            return !before.band().equals(after.band());
        }

        /** Rules that fire under the new policy only, sorted. */
        public List<String> rulesAdded() {
            TreeSet<String> s = new TreeSet<>(after.fired());
            s.removeAll(before.fired());
            return List.copyOf(s);
        }

        /** Rules that fired under the old policy only, sorted. */
        public List<String> rulesRemoved() {
            TreeSet<String> s = new TreeSet<>(before.fired());
            s.removeAll(after.fired());
            return List.copyOf(s);
        }
    }

    /**
     * One folder's totals.
     *
     * @param before messages per verdict under the old policy, every name of {@link #VERDICTS}
     * @param after the same under the new policy
     */
    public record FolderTotals(
            String folder,
            int messages,
            int changed,
            Map<String, Integer> before,
            Map<String, Integer> after) {
        public FolderTotals {
            before = Map.copyOf(before);
            after = Map.copyOf(after);
        }
    }

    /**
     * The whole comparison.
     *
     * @param oldDigest the old policy's digest
     * @param newDigest the new policy's digest
     * @param folders totals in the order the folders were given
     * @param changes every changed message, by folder (given order) and file name
     * @param cpuNanos CPU time the workers spent reading and evaluating, for a speed figure that
     *     does not depend on how busy the machine is
     */
    public record Result(
            String oldDigest,
            String newDigest,
            List<FolderTotals> folders,
            List<Change> changes,
            long cpuNanos) {
        public Result {
            folders = List.copyOf(folders);
            changes = List.copyOf(changes);
        }

        public int messages() {
            return folders.stream().mapToInt(FolderTotals::messages).sum();
        }

        public boolean changed() {
            return !changes.isEmpty();
        }
    }

    /**
     * Runs both policies over every message file of {@code folders} (regular files, sorted by name;
     * {@code .json} files, which describe a corpus, are skipped) on {@code workers} threads.
     *
     * @param envelope the envelope a message is sent with, the same for both policies
     * @throws IOException when a folder cannot be listed or a message cannot be read
     */
    public static Result run(
            CompiledPolicy oldPolicy,
            CompiledPolicy newPolicy,
            List<Path> folders,
            Function<byte[], Envelope> envelope,
            int workers)
            throws IOException {
        if (workers < 1) {
            throw new IllegalArgumentException(workers + " is not a valid number of workers");
        }
        Bands bands = Bands.of(oldPolicy.rules().thresholds(), newPolicy.rules().thresholds());
        Policy before = Policy.of(oldPolicy);
        Policy after = Policy.of(newPolicy);
        List<FolderTotals> totals = new ArrayList<>();
        ConcurrentLinkedQueue<Change> changes = new ConcurrentLinkedQueue<>();
        LongAdder cpu = new LongAdder();
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            for (Path folder : folders) {
                totals.add(
                        folder(
                                folder, before, after, bands, envelope, workers, pool, changes,
                                cpu));
            }
        } finally {
            pool.shutdownNow();
        }
        List<String> order = folders.stream().map(Path::toString).toList();
        List<Change> sorted =
                changes.stream()
                        .sorted(
                                Comparator.comparingInt((Change c) -> order.indexOf(c.folder()))
                                        .thenComparing(Change::message))
                        .toList();
        return new Result(oldPolicy.digest(), newPolicy.digest(), totals, sorted, cpu.sum());
    }

    private static FolderTotals folder(
            Path folder,
            Policy before,
            Policy after,
            Bands bands,
            Function<byte[], Envelope> envelope,
            int workers,
            ExecutorService pool,
            ConcurrentLinkedQueue<Change> changes,
            LongAdder cpu)
            throws IOException {
        List<Path> files = messages(folder);
        int n = VERDICTS.size();
        AtomicIntegerArray counts = new AtomicIntegerArray(2 * n + 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // Bounds the tasks waiting for a worker; each reads its message when it runs, so at most
        // one message per worker is in memory.
        int permits = workers * QUEUED_PER_WORKER;
        Semaphore queued = new Semaphore(permits);
        for (Path f : files) {
            queued.acquireUninterruptibly();
            if (failure.get() != null) {
                queued.release();
                break;
            }
            pool.execute(
                    () -> {
                        long started = THREADS.getCurrentThreadCpuTime();
                        try {
                            byte[] message = Cases.asReceived(Files.readAllBytes(f));
                            Envelope e = envelope.apply(message);
                            Outcome o = outcome(Trial.run(before, e, message), bands);
                            Outcome a = outcome(Trial.run(after, e, message), bands);
                            counts.incrementAndGet(VERDICTS.indexOf(o.verdict()));
                            counts.incrementAndGet(n + VERDICTS.indexOf(a.verdict()));
                            if (differs(o, a)) {
                                counts.incrementAndGet(2 * n);
                                changes.add(
                                        new Change(
                                                folder.toString(),
                                                f.getFileName().toString(),
                                                o,
                                                a));
                            }
                        } catch (IOException | RuntimeException e) {
                            failure.compareAndSet(null, e);
                        } finally {
                            cpu.add(THREADS.getCurrentThreadCpuTime() - started);
                            queued.release();
                        }
                    });
        }
        // Every permit back: every task of this folder has finished.
        queued.acquireUninterruptibly(permits);
        Throwable t = failure.get();
        if (t instanceof IOException io) {
            throw io;
        }
        if (t != null) {
            throw new IllegalStateException("comparing " + folder + " failed: " + t, t);
        }
        Map<String, Integer> b = new java.util.LinkedHashMap<>();
        Map<String, Integer> a = new java.util.LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            b.put(VERDICTS.get(i), counts.get(i));
            a.put(VERDICTS.get(i), counts.get(n + i));
        }
        return new FolderTotals(folder.toString(), files.size(), counts.get(2 * n), b, a);
    }

    /**
     * A change worth a reviewer's eye: verdict or its stage, score band, or the set of rules that
     * fired. A score moving inside its band is not one.
     */
    static boolean differs(Outcome o, Outcome a) {
        return !o.verdict().equals(a.verdict())
                || !o.stage().equals(a.stage())
                || !o.band().equals(a.band())
                || !new TreeSet<>(o.fired()).equals(new TreeSet<>(a.fired()));
    }

    static Outcome outcome(Trial t, Bands bands) {
        return new Outcome(
                t.verdictName(),
                t.stage().key(),
                t.score(),
                bands.of(t.score()),
                new TreeSet<>(t.fired()).stream().toList());
    }

    /** The message files of a folder, sorted by name; a missing folder is an error. */
    static List<Path> messages(Path folder) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
            for (Path f : s) {
                if (!f.getFileName().toString().endsWith(".json") && Files.isRegularFile(f)) {
                    files.add(f);
                }
            }
        }
        files.sort(Comparator.comparing(f -> f.getFileName().toString()));
        return files;
    }

    /**
     * Score bands: the intervals between the thresholds of both policies, so that a score moving
     * across any threshold either policy has is a change, and one moving inside an interval is not.
     */
    record Bands(List<Double> limits) {
        Bands {
            limits = List.copyOf(new TreeSet<>(limits));
        }

        static Bands of(RuleSet.Thresholds a, RuleSet.Thresholds b) {
            List<Double> limits = new ArrayList<>();
            for (RuleSet.Thresholds t : List.of(a, b)) {
                for (OptionalDouble d : List.of(t.tag(), t.quarantine(), t.reject())) {
                    d.ifPresent(limits::add);
                }
            }
            return new Bands(limits);
        }

        /**
         * {@code <4}, {@code 4..8} (from 4, below 8), {@code >=11}; {@code any} without thresholds.
         */
        String of(Score score) {
            if (limits.isEmpty()) {
                return "any";
            }
            double v = score.value();
            if (v < limits.getFirst()) {
                return "<" + Score.format(limits.getFirst());
            }
            for (int i = 1; i < limits.size(); i++) {
                if (v < limits.get(i)) {
                    return Score.format(limits.get(i - 1)) + ".." + Score.format(limits.get(i));
                }
            }
            return ">=" + Score.format(limits.getLast());
        }
    }
}
