package dev.bulwark.site;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.util.List;

class FirewallTest {

    @Test
    void putsEachFamilyInItsOwnSetAndEmptiesBothFirst() {
        String script =
                Firewall.metricsSets(
                        List.of(
                                Cidr.parse("10.0.2.2"),
                                Cidr.parse("2001:db8::/32"),
                                Cidr.parse("192.0.2.0/24")));
        assertThat(script)
                .isEqualTo(
                        "# bulwark site firewall: metrics.allow\n"
                            + "flush set inet bulwark metrics4\n"
                            + "add element inet bulwark metrics4 { 10.0.2.2/32, 192.0.2.0/24 }\n"
                            + "flush set inet bulwark metrics6\n"
                            + "add element inet bulwark metrics6 { 2001:db8:0:0:0:0:0:0/32 }\n");
    }

    @Test
    void leavesASetEmptyWhenNoNetworkOfItsFamilyIsAllowed() {
        assertThat(Firewall.metricsSets(List.of(Cidr.parse("127.0.0.1"))))
                .contains("flush set inet bulwark metrics6\n")
                .doesNotContain("add element inet bulwark metrics6");
    }
}
