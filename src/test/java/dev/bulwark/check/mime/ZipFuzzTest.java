package dev.bulwark.check.mime;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Fuzzing of the zip reader, in every build: real archives (nested, stored and deflated, with bombs
 * of zeros), their header fields and octets mutated, attached to a message and parsed with the
 * default budget, each held to {@link MimeFuzzTest#check}'s bounds. Seeded, as there.
 */
class ZipFuzzTest {

    private static final int TRIES = Integer.getInteger("bulwark.fuzz.tries", 1500) / 5;
    private static final long SEED = Long.getLong("bulwark.fuzz.seed", 20261203L) + 1;

    /** Offsets of every zip signature (local, central, end) in the archive. */
    private static List<Integer> signatures(byte[] zip) {
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i + 4 <= zip.length; i++) {
            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] < 8 && zip[i + 3] < 9) {
                at.add(i);
            }
        }
        return at;
    }

    static byte[] archive(Random r, int depth) {
        List<Object> entries = new ArrayList<>();
        int n = r.nextInt(12);
        for (int i = 0; i < n; i++) {
            entries.add("d" + depth + "/e" + i + (r.nextBoolean() ? ".exe" : ".bin"));
            entries.add(
                    switch (r.nextInt(4)) {
                        case 0 -> Zips.EXE;
                        case 1 -> new byte[r.nextInt(150_000)]; // zeros: a small bomb
                        case 2 -> depth < 4 ? archive(r, depth + 1) : Zips.EXE;
                        default -> ("text " + i).repeat(r.nextInt(100));
                    });
        }
        byte[] zip = Zips.zip(Zips.entries(entries.toArray()));
        List<Integer> sigs = signatures(zip);
        for (int k = r.nextInt(6); k > 0 && !sigs.isEmpty(); k--) {
            // a header field: versions, flags, method, sizes, name and extra lengths, offsets
            int at = sigs.get(r.nextInt(sigs.size())) + 4 + r.nextInt(42);
            if (at < zip.length) {
                zip[at] = (byte) (r.nextBoolean() ? 0xff : r.nextInt(256));
            }
        }
        if (r.nextInt(5) == 0 && zip.length > 0) {
            zip = java.util.Arrays.copyOf(zip, r.nextInt(zip.length));
        }
        return zip;
    }

    @Test
    void readsMutatedArchivesWithinLinearMemoryAndWork() {
        Random seeds = new Random(SEED);
        for (int i = 0; i < TRIES; i++) {
            long seed = seeds.nextLong();
            byte[] message = Zips.message("fuzz.zip", archive(new Random(seed), 1));
            try {
                MimeFuzzTest.check(message);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("try " + i + ", seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }
}
