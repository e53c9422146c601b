package dev.bulwark.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Optional;

/** The snapshot in policy/psl against the list's own published test cases. */
class PublicSuffixListTest {

    private static PublicSuffixList psl;

    @BeforeAll
    static void read() throws Exception {
        psl = PublicSuffixList.read(Path.of("policy/psl/public_suffix_list.dat"));
    }

    private static void check(String domain, String registrable) {
        assertThat(psl.registrableDomain(domain))
                .as(domain)
                .isEqualTo(Optional.ofNullable(registrable));
    }

    @Test
    void holdsTheWholeList() {
        assertThat(psl.size()).isGreaterThan(9000);
    }

    @Test
    void findsRegistrableDomainsUnderNormalRules() {
        check("COM", null);
        check("example.COM", "example.com");
        check("WwW.example.COM", "example.com");
        check("example.com.", "example.com");
        check("uk.com", null);
        check("example.uk.com", "example.uk.com");
        check("b.example.uk.com", "example.uk.com");
        check("test.ac", "test.ac");
        check("jp", null);
        check("test.jp", "test.jp");
        check("www.test.jp", "test.jp");
        check("ac.jp", null);
        check("test.ac.jp", "test.ac.jp");
        check("ide.kyoto.jp", null);
        check("b.ide.kyoto.jp", "b.ide.kyoto.jp");
        check("a.b.ide.kyoto.jp", "b.ide.kyoto.jp");
        check("k12.ak.us", null);
        check("test.k12.ak.us", "test.k12.ak.us");
        check("www.test.k12.ak.us", "test.k12.ak.us");
    }

    @Test
    void appliesWildcardAndExceptionRules() {
        check("c.mm", null);
        check("b.c.mm", "b.c.mm");
        check("a.b.c.mm", "b.c.mm");
        check("c.kobe.jp", null);
        check("b.c.kobe.jp", "b.c.kobe.jp");
        check("city.kobe.jp", "city.kobe.jp");
        check("www.city.kobe.jp", "city.kobe.jp");
        check("test.ck", null);
        check("b.test.ck", "b.test.ck");
        check("www.ck", "www.ck");
        check("www.www.ck", "www.ck");
    }

    @Test
    void treatsUnlistedTopLevelDomainsAsSuffixes() {
        check("example", null);
        check("example.example", "example.example");
        check("b.example.example", "example.example");
    }

    @Test
    void matchesInternationalizedNamesInTheirAsciiForm() {
        check("xn--85x722f.com.cn", "xn--85x722f.com.cn");
        check("食狮.公司.cn", "xn--85x722f.xn--55qx5d.cn");
        check("www.xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn");
        assertThat(psl.organizationalDomain("mail.example.co.uk")).isEqualTo("example.co.uk");
        assertThat(psl.organizationalDomain("co.uk")).isEqualTo("co.uk");
    }
}
