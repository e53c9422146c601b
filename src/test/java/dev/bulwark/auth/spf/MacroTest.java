package dev.bulwark.auth.spf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

/** The macro examples of RFC 7208 section 7.4, and its syntax rules. */
class MacroTest {

    private static final Macro.Values V4 =
            new Macro.Values(
                    "strong-bad@email.example.com",
                    "email.example.com",
                    InetAddress.ofLiteral("192.0.2.3"),
                    "mx.example.org",
                    "mx.bulwark.example",
                    1_700_000_000L,
                    () -> "mx.example.org");

    private static String expand(String s) throws Exception {
        return Macro.expand(s, V4, false);
    }

    @Test
    void expandsTheRfcExamples() throws Exception {
        assertThat(expand("%{s}")).isEqualTo("strong-bad@email.example.com");
        assertThat(expand("%{o}")).isEqualTo("email.example.com");
        assertThat(expand("%{d}")).isEqualTo("email.example.com");
        assertThat(expand("%{d4}")).isEqualTo("email.example.com");
        assertThat(expand("%{d3}")).isEqualTo("email.example.com");
        assertThat(expand("%{d2}")).isEqualTo("example.com");
        assertThat(expand("%{d1}")).isEqualTo("com");
        assertThat(expand("%{dr}")).isEqualTo("com.example.email");
        assertThat(expand("%{d2r}")).isEqualTo("example.email");
        assertThat(expand("%{l}")).isEqualTo("strong-bad");
        assertThat(expand("%{l-}")).isEqualTo("strong.bad");
        assertThat(expand("%{lr}")).isEqualTo("strong-bad");
        assertThat(expand("%{lr-}")).isEqualTo("bad.strong");
        assertThat(expand("%{l1r-}")).isEqualTo("strong");
        assertThat(expand("%{ir}.%{v}._spf.%{d2}")).isEqualTo("3.2.0.192.in-addr._spf.example.com");
        assertThat(expand("%{lr-}.lp._spf.%{d2}")).isEqualTo("bad.strong.lp._spf.example.com");
        assertThat(expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}"))
                .isEqualTo("bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
        assertThat(expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}"))
                .isEqualTo("3.2.0.192.in-addr.strong.lp._spf.example.com");
        assertThat(expand("%{d2}.trusted-domains.example.net"))
                .isEqualTo("example.com.trusted-domains.example.net");
    }

    @Test
    void expandsIpv6AsNibbles() throws Exception {
        Macro.Values v6 =
                new Macro.Values(
                        "strong-bad@email.example.com",
                        "email.example.com",
                        InetAddress.ofLiteral("2001:db8::cb01"),
                        "h",
                        "r",
                        0,
                        () -> "unknown");
        assertThat(Macro.expand("%{ir}.%{v}._spf.%{d2}", v6, false))
                .isEqualTo(
                        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
    }

    @Test
    void expandsEscapesUrlEncodingAndExplanationLetters() throws Exception {
        assertThat(expand("%%%_%-")).isEqualTo("% %20");
        assertThat(expand("%{S}")).isEqualTo("strong-bad%40email.example.com");
        assertThat(expand("%{h}")).isEqualTo("mx.example.org");
        assertThat(expand("%{p}")).isEqualTo("mx.example.org");
        assertThat(Macro.expand("%{c} %{r} %{t}", V4, true))
                .isEqualTo("192.0.2.3 mx.bulwark.example 1700000000");
    }

    @Test
    void refusesBadMacros() {
        assertThatThrownBy(() -> expand("%{c}")).hasMessageContaining("'c' is not a macro letter");
        assertThatThrownBy(() -> expand("%{d0}")).hasMessageContaining("zero labels");
        assertThatThrownBy(() -> expand("%{x}")).hasMessageContaining("not a macro letter");
        assertThatThrownBy(() -> expand("%{d")).hasMessageContaining("unclosed macro");
        assertThatThrownBy(() -> expand("50%")).hasMessageContaining("'%' at the end");
        assertThatThrownBy(() -> expand("%a")).hasMessageContaining("'%a' is not a macro");
        assertThatThrownBy(() -> expand("%{d2!}")).hasMessageContaining("not a delimiter");
    }
}
