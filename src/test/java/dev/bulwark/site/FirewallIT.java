package dev.bulwark.site;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The image's nftables.conf and the script made from a site's {@code metrics.allow} load together:
 * checked by nft itself ({@code nft -c}, Debian package nftables, installed by .ci/run), so a set
 * name or syntax the two disagree on fails here and not at a node's first boot.
 */
class FirewallIT {

    @TempDir Path temp;

    @Test
    void theImageRulesetAcceptsTheSetsASiteFills() throws Exception {
        String ruleset =
                Files.readString(Path.of("packer/guest/nftables.conf"))
                        .replace("@METRICS_PORT@", "9025");
        String sets =
                Firewall.metricsSets(
                        List.of(
                                Cidr.parse("10.0.2.2"),
                                Cidr.parse("192.0.2.0/24"),
                                Cidr.parse("2001:db8::/32")));
        assertThat(nftCheck(ruleset + "\n" + sets)).isEqualTo("");
        assertThat(nftCheck(ruleset + "\n" + Firewall.metricsSets(List.of()))).isEqualTo("");
        assertThat(nftCheck(ruleset + "\nadd element inet bulwark metrics4 { 2001:db8::/32 }\n"))
                .as("nft -c can fail: an IPv6 block in the IPv4 set")
                .isNotEmpty();
    }

    /** What {@code nft -c -f} says about a ruleset: empty when it is valid. */
    private String nftCheck(String text) throws Exception {
        Path f = temp.resolve("ruleset.nft");
        Files.writeString(f, text);
        Process p =
                new ProcessBuilder(nft(), "-c", "-f", f.toString())
                        .redirectErrorStream(true)
                        .start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.exitValue() == 0 ? "" : "exit " + p.exitValue() + ": " + out;
    }

    private static String nft() {
        for (String c : List.of("/usr/sbin/nft", "/sbin/nft")) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        throw new AssertionError("needs nft (Debian package nftables; .ci/run installs it)");
    }
}
