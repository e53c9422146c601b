package dev.bulwark.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.util.List;

class AuthenticationResultsTest {

    private final AuthenticationResults ar = new AuthenticationResults("mx.bulwark.example");

    @Test
    void rendersEveryResultOnItsOwnFoldedLine() {
        Authentication auth =
                Authentication.empty()
                        .withMailFrom(
                                new SpfResult(
                                        SpfResult.Result.PASS,
                                        SpfResult.Identity.MAILFROM,
                                        "example.com",
                                        "matched ip4:192.0.2.0/24 at example.com"))
                        .withHelo(
                                new SpfResult(
                                        SpfResult.Result.NONE,
                                        SpfResult.Identity.HELO,
                                        "client.example.net",
                                        ""))
                        .withDkim(
                                List.of(
                                        new DkimResult(
                                                DkimResult.Result.PASS,
                                                "example.com",
                                                "sel",
                                                "ed25519-sha256",
                                                "/gCrinpcQOoIfuHNQIbq4pgh",
                                                "",
                                                false),
                                        new DkimResult(
                                                DkimResult.Result.FAIL,
                                                "example.org",
                                                "s1",
                                                "rsa-sha256",
                                                "AbCd",
                                                "body hash mismatch",
                                                false)))
                        .withDmarc(
                                new DmarcResult(
                                        DmarcResult.Result.PASS,
                                        "example.com",
                                        DmarcResult.Policy.REJECT,
                                        DmarcResult.Policy.NONE,
                                        true,
                                        true,
                                        ""));
        assertThat(ar.render(auth))
                .isEqualTo(
                        "Authentication-Results: mx.bulwark.example;\r\n"
                                + "\tspf=pass reason=\"matched ip4:192.0.2.0/24 at example.com\""
                                + " smtp.mailfrom=example.com;\r\n"
                                + "\tspf=none smtp.helo=client.example.net;\r\n"
                                + "\tdkim=pass header.d=example.com header.s=sel"
                                + " header.a=ed25519-sha256 header.b=\"/gCrinpcQOoI\";\r\n"
                                + "\tdkim=fail reason=\"body hash mismatch\" header.d=example.org"
                                + " header.s=s1 header.a=rsa-sha256 header.b=AbCd;\r\n"
                                + "\tdmarc=pass (p=reject dis=none) header.from=example.com\r\n");
    }

    @Test
    void saysNoneWhenNothingWasChecked() {
        assertThat(ar.render(Authentication.empty()))
                .isEqualTo("Authentication-Results: mx.bulwark.example; none\r\n");
    }

    @Test
    void escapesQuotesInReasonsAndDropsControlCharacters() {
        Authentication auth =
                Authentication.empty()
                        .withMailFrom(
                                new SpfResult(
                                        SpfResult.Result.PERMERROR,
                                        SpfResult.Identity.MAILFROM,
                                        "example.com",
                                        "bad \"record\"\r\nX-Injected: yes"));
        assertThat(ar.render(auth))
                .contains("reason=\"bad \\\"record\\\"  X-Injected: yes\"")
                .doesNotContain("\r\nX-Injected");
    }

    @Test
    void recognisesFieldsClaimingOurIdInAnyForm() {
        assertThat(ar.claimsOurId(" mx.bulwark.example; spf=pass smtp.mailfrom=x")).isTrue();
        assertThat(ar.claimsOurId("MX.Bulwark.Example; none")).isTrue();
        assertThat(ar.claimsOurId("(forged (nested) comment)\r\n mx.bulwark.example 1; dkim=pass"))
                .isTrue();
        assertThat(ar.claimsOurId("\"mx.bulwark.example\"; dkim=pass")).isTrue();
        assertThat(ar.claimsOurId("mx.bulwark.example.evil; dkim=pass")).isFalse();
        assertThat(ar.claimsOurId("other.example; spf=pass")).isFalse();
        assertThat(ar.claimsOurId("")).isFalse();
    }

    @Test
    void refusesAnIdThatIsNotAToken() {
        assertThatThrownBy(() -> new AuthenticationResults("mx example"))
                .hasMessage("'mx example' is not a valid authserv-id: expected a host name");
    }
}
