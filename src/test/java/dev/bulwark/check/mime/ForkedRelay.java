package dev.bulwark.check.mime;

import dev.bulwark.flow.Policy;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.testing.RelayUnderTest;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The relay with the repository's policy in a JVM of its own, so that a test can give it the heap a
 * node has and watch it survive (or die of) a message. Arguments: policy directory, next-hop port,
 * spool directory. Prints {@code listening PORT}; on a {@code heap} line prints the peak heap use
 * of the memory pools; ends when standard input closes.
 */
public final class ForkedRelay {
    private ForkedRelay() {}

    public static void main(String[] args) throws Exception {
        CompiledPolicy policy = CompiledPolicy.compile(Path.of(args[0]));
        int nextHop = Integer.parseInt(args[1]);
        Path spool = Path.of(args[2]);
        try (RelayUnderTest relay =
                new RelayUnderTest(Policy.of(policy), nextHop, b -> b.spool(spool, 1024 * 1024))) {
            System.out.println("listening " + relay.port());
            System.out.flush();
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("heap")) {
                    long peak = 0;
                    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                        if (pool.getType() == MemoryType.HEAP) {
                            peak += pool.getPeakUsage().getUsed();
                        }
                    }
                    System.out.println("heap " + peak);
                    System.out.flush();
                }
            }
        }
    }
}
