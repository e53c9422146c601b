package dev.bulwark.bench;

import dev.bulwark.runtime.SelfVerification;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;

/**
 * What a pass of the self-verification while serving costs (ADR 0018): CPU time on its thread and
 * wall time per pass over a real runtime, at the serving rate and unpaced. Prints a table; asserts
 * nothing.
 *
 * <pre>
 * mvn -q test-compile
 * java -cp target/classes:target/test-classes:$(cat cp.txt) dev.bulwark.bench.SelfVerificationCost \
 *     target/runtime/bulwark [PASSES] [continuous]
 * </pre>
 *
 * With {@code continuous} it runs passes at the serving rate back to back until killed (a load to
 * run beside {@code src/bench/relay-load.sh} to see the effect on throughput).
 */
public final class SelfVerificationCost {
    private SelfVerificationCost() {}

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        int passes = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        boolean continuous = args.length > 2 && args[2].equals("continuous");
        if (continuous) {
            SelfVerification v =
                    SelfVerification.of(
                            home, Clock.systemUTC(), SelfVerification.DEFAULT_BYTES_PER_SECOND);
            while (true) {
                SelfVerification.Status s = v.verifyNow();
                System.out.printf(
                        Locale.ROOT,
                        "pass %d ok=%s cpu %d ms elapsed %d ms%n",
                        s.pass(),
                        s.ok(),
                        s.cpu().toMillis(),
                        s.elapsed().toMillis());
            }
        }
        long bytes =
                SelfVerification.of(home, Clock.systemUTC(), Long.MAX_VALUE)
                        .manifest()
                        .files()
                        .stream()
                        .mapToLong(e -> e.size())
                        .sum();
        System.out.printf(Locale.ROOT, "runtime %s: %.1f MB%n", home, bytes / 1e6);
        System.out.println("rate          pass  ok    cpu ms  elapsed ms");
        for (long rate : new long[] {Long.MAX_VALUE, SelfVerification.DEFAULT_BYTES_PER_SECOND}) {
            SelfVerification v = SelfVerification.of(home, Clock.systemUTC(), rate);
            for (int i = 0; i < passes; i++) {
                SelfVerification.Status s = v.verifyNow();
                System.out.printf(
                        Locale.ROOT,
                        "%-12s  %4d  %-5s %6d  %10d%n",
                        rate == Long.MAX_VALUE ? "unpaced" : (rate >> 20) + " MiB/s",
                        s.pass(),
                        s.ok(),
                        s.cpu().toMillis(),
                        s.elapsed().toMillis());
            }
        }
    }
}
