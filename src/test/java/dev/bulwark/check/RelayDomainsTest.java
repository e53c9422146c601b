package dev.bulwark.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.envelope.Paths;

import org.junit.jupiter.api.Test;

import java.util.List;

class RelayDomainsTest {

    private final RelayDomains domains =
            RelayDomains.of(List.of("example.com", ".example.net", "b\u00fccher.example"));

    @Test
    void matchesExactDomainsAndSubdomainsOfDottedEntries() {
        assertThat(domains.contains("EXAMPLE.com")).isTrue();
        assertThat(domains.contains("mail.example.com")).isFalse();
        assertThat(domains.contains("a.b.example.net")).isTrue();
        assertThat(domains.contains("example.net")).isFalse();
        assertThat(domains.contains("xn--bcher-kva.example")).isTrue();
    }

    @Test
    void refusesRelayTricksEvenForOurDomains() {
        assertThat(domains.refusal(Paths.parse("<user%foreign.example@example.com>"))).isPresent();
        assertThat(domains.refusal(Paths.parse("<foreign.example!user@example.com>"))).isPresent();
        assertThat(domains.refusal(Paths.parse("<\"user@foreign.example\"@example.com>")))
                .isPresent();
        assertThat(domains.refusal(Paths.parse("<user@example.com.>"))).isPresent();
        assertThat(domains.refusal(Paths.parse("<user@[192.0.2.1]>"))).isPresent();
        assertThat(domains.refusal(Paths.parse("<@example.com:user@foreign.example>"))).isPresent();
    }

    @Test
    void acceptsPlainRecipientsSourceRoutedOnesAndPostmaster() {
        assertThat(domains.refusal(Paths.parse("<user@example.com>"))).isEmpty();
        assertThat(domains.refusal(Paths.parse("<@foreign.example:user@example.com>"))).isEmpty();
        assertThat(domains.refusal(Paths.parse("<\"first last\"@example.com>"))).isEmpty();
        assertThat(domains.refusal(Paths.parse("<postmaster>"))).isEmpty();
    }
}
