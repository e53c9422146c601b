package dev.bulwark.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

class DnsSettingsTest {

    @Test
    void readsResolverAddressesWithAndWithoutPorts() {
        assertThat(DnsSettings.parseServers("192.0.2.53, 192.0.2.54:5353 [2001:db8::53]:53 ::1"))
                .containsExactly(
                        new InetSocketAddress(InetAddress.ofLiteral("192.0.2.53"), 53),
                        new InetSocketAddress(InetAddress.ofLiteral("192.0.2.54"), 5353),
                        new InetSocketAddress(InetAddress.ofLiteral("2001:db8::53"), 53),
                        new InetSocketAddress(InetAddress.ofLiteral("::1"), 53));
    }

    @Test
    void namesTheBadValue() {
        assertThatThrownBy(() -> DnsSettings.parseServers("192.0.2.53, resolver.example"))
                .hasMessage(
                        "'resolver.example' is not a resolver address: 'resolver.example' is not"
                                + " an IP address");
        assertThatThrownBy(() -> DnsSettings.parseServers("192.0.2.53:99999"))
                .hasMessage(
                        "'192.0.2.53:99999' is not a resolver address: port '99999' is not 1 to"
                                + " 65535");
        assertThatThrownBy(() -> DnsSettings.parseServers(" "))
                .hasMessage("' ' names no DNS resolver");
    }

    @Test
    void readsTheSystemResolversFromResolvConf() {
        assertThat(
                        ResolvConf.parse(
                                List.of(
                                        "# generated",
                                        "search example.com",
                                        "nameserver 192.0.2.53",
                                        "nameserver fe80::1%eth0",
                                        "nameserver not-an-address",
                                        "options edns0")))
                .containsExactly(
                        new InetSocketAddress(InetAddress.ofLiteral("192.0.2.53"), 53),
                        new InetSocketAddress(InetAddress.ofLiteral("fe80::1"), 53));
        assertThat(ResolvConf.parse(List.of("search example.com")))
                .containsExactly(ResolvConf.LOCAL);
    }
}
