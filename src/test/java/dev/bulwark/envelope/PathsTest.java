package dev.bulwark.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PathsTest {

    @Test
    void parsesAPlainMailboxAndLowerCasesTheDomainOnly() {
        Path p = Paths.parse("<John.Doe@Example.COM>");
        assertThat(p.mailbox().localPart()).isEqualTo("John.Doe");
        assertThat(p.mailbox().domain()).isEqualTo("example.com");
        assertThat(p.route()).isEmpty();
        assertThat(p.trailingDot()).isFalse();
    }

    @Test
    void keepsASourceRouteApartFromTheMailbox() {
        Path p = Paths.parse("<@a.example,@b.example:user@c.example>");
        assertThat(p.route()).containsExactly("a.example", "b.example");
        assertThat(p.mailbox().address()).isEqualTo("user@c.example");
    }

    @Test
    void readsQuotedLocalPartsWithTheirEscapes() {
        Mailbox m = Paths.parse("<\"john \\\"jd\\\" doe\"@example.com>").mailbox();
        assertThat(m.isQuoted()).isTrue();
        assertThat(m.unquotedLocalPart()).isEqualTo("john \"jd\" doe");
    }

    @Test
    void recordsATrailingDotAndAddressLiterals() {
        assertThat(Paths.parse("<a@example.com.>").trailingDot()).isTrue();
        assertThat(Paths.parse("<a@[192.0.2.1]>").mailbox().hasAddressLiteral()).isTrue();
        assertThat(Paths.parse("<a@[IPv6:2001:db8::1]>").mailbox().domain())
                .isEqualTo("[ipv6:2001:db8::1]");
    }

    @Test
    void acceptsUtf8AddressesAndTheBarePostmaster() {
        assertThat(Paths.parse("<j\u00f6rg@b\u00fccher.example>").mailbox().domain())
                .isEqualTo("b\u00fccher.example");
        assertThat(Paths.parse("<Postmaster>").mailbox().isBarePostmaster()).isTrue();
        assertThat(Paths.parseReversePath("<>")).isEqualTo(NullPath.INSTANCE);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "<>",
                "<user>",
                "<@a.example:>",
                "<a@>",
                "<@example.com>",
                "<a..b@example.com>",
                "<a@-bad.example>",
                "<a@exa mple.com>",
                "<a@example.com",
                "<\"unterminated@example.com>",
                "<a b@example.com>",
                "<a@[1.2.3.4>"
            })
    void refusesMalformedPaths(String text) {
        assertThatThrownBy(() -> Paths.parse(text)).isInstanceOf(PathSyntaxException.class);
    }

    @Test
    void refusesOverlongParts() {
        assertThatThrownBy(() -> Paths.parse("<" + "a".repeat(65) + "@example.com>"))
                .hasMessageContaining("local part longer than 64");
    }
}
