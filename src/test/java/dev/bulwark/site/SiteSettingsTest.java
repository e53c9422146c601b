package dev.bulwark.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bulwark.relay.TlsMode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

class SiteSettingsTest {

    @TempDir Path dir;

    @Test
    void readsAFileAndLetsTheEnvironmentOverrideIt() throws Exception {
        Path file = dir.resolve("site.conf");
        Files.writeString(
                file,
                """
                # production node
                hostname = mx1.example.com
                listen = 127.0.0.1:2525
                next-hop = mail.internal:25
                next-hop.tls = opportunistic
                trusted-balancers = 10.0.0.0/8, 2001:db8::/32
                """);
        SiteSettings s =
                SiteSettings.load(
                        Optional.of(file),
                        Map.of("BULWARK_NEXT_HOP", "[2001:db8::5]:2525", "PATH", "/usr/bin"));
        assertThat(s.hostname()).isEqualTo("mx1.example.com");
        assertThat(s.listen().getPort()).isEqualTo(2525);
        assertThat(s.nextHop()).isEqualTo(new SiteSettings.HostPort("2001:db8::5", 2525));
        assertThat(s.nextHopTls()).isEqualTo(TlsMode.OPPORTUNISTIC);
        assertThat(s.trustedBalancers()).hasSize(2);
    }

    @Test
    void readsTheResourceModelAndTheOperationsListenersAccess() {
        SiteSettings s =
                SiteSettings.of(
                        Map.ofEntries(
                                Map.entry("next-hop", "mail.internal:25"),
                                Map.entry("clients.ipv4-prefix", "16"),
                                Map.entry("clients.ipv6-prefix", "48"),
                                Map.entry("clients.max-sessions-per-subnet", "30"),
                                Map.entry("clients.max-transactions-per-client", "4"),
                                Map.entry("clients.max-transactions-per-subnet", "8"),
                                Map.entry("transaction.lifetime", "120"),
                                Map.entry("session.lifetime", "600"),
                                Map.entry("node.in-flight-mib", "64"),
                                Map.entry("metrics.allow", "10.1.0.0/16, 2001:db8::/32"),
                                Map.entry("metrics.max-connections", "4")));
        var r = s.resources();
        assertThat(r.subnet(java.net.InetAddress.ofLiteral("192.0.2.77")))
                .isEqualTo("192.0.0.0/16");
        assertThat(r.subnet(java.net.InetAddress.ofLiteral("2001:db8:1:2:3::9")))
                .isEqualTo("2001:db8:1:0:0:0:0:0/48");
        assertThat(r.maxSessionsPerSubnet()).isEqualTo(30);
        assertThat(r.maxTransactionsPerClient()).isEqualTo(4);
        assertThat(r.maxTransactionsPerSubnet()).isEqualTo(8);
        assertThat(r.transactionLifetime()).hasSeconds(120);
        assertThat(r.sessionLifetime()).hasSeconds(600);
        assertThat(r.inFlightBytes()).isEqualTo(64L << 20);
        assertThat(s.metricsAllow()).hasSize(2);
        assertThat(s.metricsMaxConnections()).isEqualTo(4);
        SiteSettings defaults = SiteSettings.of(Map.of("next-hop", "mail.internal:25"));
        assertThat(defaults.resources()).isEqualTo(dev.bulwark.flow.Resources.defaults());
        assertThat(defaults.metricsAllow()).isEqualTo(SiteSettings.LOOPBACK);
        assertThat(defaults.resources().subnet(java.net.InetAddress.ofLiteral("2001:db8::1:2:3:4")))
                .isEqualTo("2001:db8:0:0:0:0:0:0/64");
    }

    @Test
    void refusesASubnetPrefixLongerThanAnAddress() {
        assertThatThrownBy(
                        () ->
                                SiteSettings.of(
                                        Map.of(
                                                "next-hop", "mail.internal:25",
                                                "clients.ipv4-prefix", "33")))
                .isInstanceOf(SiteSettingsException.class)
                .hasMessageContaining(
                        "invalid value '33' for 'clients.ipv4-prefix': expected a prefix length"
                                + " from 1 to 32");
    }

    @Test
    void namesEveryBadKeyAndValueAtOnce() throws Exception {
        Path file = dir.resolve("site.conf");
        Files.writeString(
                file,
                """
                hostname = mx1.example.com
                nexthop = mail.internal:25
                listen = 0.0.0.0:99999
                next-hop.tls = sometimes
                trusted-balancers = 10.0.0.1/8
                """);
        assertThatThrownBy(() -> SiteSettings.load(Optional.of(file), Map.of()))
                .isInstanceOf(SiteSettingsException.class)
                .satisfies(
                        e ->
                                assertThat(((SiteSettingsException) e).problems())
                                        .containsExactly(
                                                file
                                                        + ":2: error: unknown setting 'nexthop'"
                                                        + " (did you mean 'next-hop'?)",
                                                file
                                                        + ":3: error: invalid value"
                                                        + " '0.0.0.0:99999' for 'listen': expected"
                                                        + " host:port, such as mail.internal:25",
                                                file
                                                        + ":4: error: invalid value 'sometimes'"
                                                        + " for 'next-hop.tls': expected one of"
                                                        + " none, opportunistic, required",
                                                file
                                                        + ":5: error: invalid value '10.0.0.1/8'"
                                                        + " for 'trusted-balancers': expected"
                                                        + " addresses or CIDR blocks, separated by"
                                                        + " commas ('10.0.0.1/8' has host bits set"
                                                        + " below /8)",
                                                file
                                                        + ": error: missing setting 'next-hop': the"
                                                        + " mail server to relay to, host:port"));
    }

    @Test
    void refusesUnknownEnvironmentSettings() {
        assertThatThrownBy(
                        () ->
                                SiteSettings.load(
                                        Optional.empty(), Map.of("BULWARK_NEXTHOP", "a:25")))
                .hasMessage(
                        "site settings: error: missing setting 'next-hop': the mail server to"
                                + " relay to, host:port\n"
                                + "environment: error: unknown setting BULWARK_NEXTHOP (did you"
                                + " mean 'next-hop'?)");
    }
}
