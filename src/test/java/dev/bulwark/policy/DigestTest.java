package dev.bulwark.policy;

import static dev.bulwark.policy.TestPolicies.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The digest covers what the policy does, not how its source is written (see
 * src/adr/0004-policy-digest.md).
 */
class DigestTest {

    private static final String BASE =
            """
            relay-domains: [example.com, example.net]
            thresholds: {tag: 5}
            rules:
              data:
                - id: offer
                  when: {subject-contains: offer}
                  score: 3
                - id: cheap
                  when: {body-matches: 'cheap|discount'}
                  score: 3
            """;

    @TempDir Path temp;

    @Test
    void commentsFormattingKeyOrderAndDescriptionsDoNotChangeTheDigest() {
        String reformatted =
                """
                # our policy
                thresholds:
                  tag: 5.0          # tag at five
                rules:
                  data:
                    - when:
                        subject-contains: "offer"
                      id: offer
                      description: offers are suspicious
                      score: 3
                    - {id: cheap, score: 3, when: {body-matches: "cheap|discount"}}
                relay-domains:
                  - EXAMPLE.net
                  - example.com
                """;
        assertThat(policy(reformatted).digest()).isEqualTo(policy(BASE).digest());
    }

    @Test
    void everySemanticValueChangesTheDigest() {
        String base = policy(BASE).digest();
        assertThat(policy(BASE.replace("tag: 5", "tag: 5.5")).digest()).isNotEqualTo(base);
        assertThat(
                        policy(
                                        BASE.replace(
                                                "score: 3\n    - id: cheap",
                                                "score: 2\n    - id: cheap"))
                                .digest())
                .isNotEqualTo(base);
        assertThat(policy(BASE.replace("cheap|discount", "cheap|discounts")).digest())
                .isNotEqualTo(base);
        assertThat(policy(BASE.replace("example.net]", "example.org]")).digest())
                .isNotEqualTo(base);
        assertThat(
                        policy(
                                        BASE.replace(
                                                "{subject-contains: offer}",
                                                "{subject-contains: {text: offer,"
                                                        + " case-sensitive: true}}"))
                                .digest())
                .isNotEqualTo(base);
        String swapped =
                BASE.replace(
                        """
                            - id: offer
                              when: {subject-contains: offer}
                              score: 3
                            - id: cheap
                              when: {body-matches: 'cheap|discount'}
                              score: 3
                        """,
                        """
                            - id: cheap
                              when: {body-matches: 'cheap|discount'}
                              score: 3
                            - id: offer
                              when: {subject-contains: offer}
                              score: 3
                        """);
        assertThat(swapped).isNotEqualTo(BASE);
        assertThat(policy(swapped).digest()).as("rule order is semantic").isNotEqualTo(base);
    }

    @Test
    void listFileContentsAreCoveredButTheirCommentsAndOrderAreNot()
            throws IOException, PolicyException {
        Path dir = temp.resolve("policy");
        Files.createDirectories(dir.resolve("lists"));
        Files.writeString(
                dir.resolve("inbound.yaml"),
                """
                relay-domains: relay
                rules:
                  connect:
                    - id: blocked
                      when: {client-ip-in: blocked}
                      action: reject
                """);
        Files.writeString(dir.resolve("lists/relay.txt"), "example.com\n");
        Files.writeString(dir.resolve("lists/blocked.txt"), "192.0.2.0/24\n198.51.100.0/24\n");
        String first = CompiledPolicy.compile(dir).digest();
        Files.writeString(
                dir.resolve("lists/blocked.txt"),
                "# reordered\n198.51.100.0/24   # b\n\n192.0.2.0/24\n");
        assertThat(CompiledPolicy.compile(dir).digest()).isEqualTo(first);
        Files.writeString(dir.resolve("lists/blocked.txt"), "192.0.2.0/24\n198.51.100.0/25\n");
        assertThat(CompiledPolicy.compile(dir).digest()).isNotEqualTo(first);
    }

    @Test
    void theCanonicalFormCompilesBackToTheSameDigest() throws PolicyException {
        CompiledPolicy p = policy(BASE);
        CompiledPolicy again = CompiledPolicy.fromCanonical("canonical.json", p.canonicalForm());
        assertThat(again.digest()).isEqualTo(p.digest());
        assertThat(again.canonicalForm()).isEqualTo(p.canonicalForm());
        assertThat(p.digest()).isEqualTo(PolicyCompiler.sha256(p.canonicalForm())).hasSize(64);
    }

    @Test
    void theRepositoryPolicyIsTheOneCompiledIntoTheRuntime() throws IOException, PolicyException {
        CompiledPolicy embedded = CompiledPolicy.embedded();
        CompiledPolicy repository = CompiledPolicy.compile(Path.of("policy"));
        assertThat(embedded.digest()).isEqualTo(repository.digest());
        assertThat(embedded.rateLimits()).isEqualTo(repository.rateLimits());
        assertThat(embedded.limits()).isEqualTo(repository.limits());
        assertThat(embedded.relayDomains().contains("example.com")).isTrue();
    }

    @Test
    void thePublicSuffixListIsCoveredByTheDigestAndTravelsWithTheCanonicalForm()
            throws IOException, PolicyException {
        Path dir = temp.resolve("psl-policy");
        Files.createDirectories(dir.resolve("psl"));
        Files.writeString(dir.resolve("inbound.yaml"), BASE);
        String without = CompiledPolicy.compile(dir).digest();
        Files.writeString(dir.resolve("psl/public_suffix_list.dat"), "com\nco.uk\n");
        CompiledPolicy with = CompiledPolicy.compile(dir);
        assertThat(with.digest()).isNotEqualTo(without);
        assertThat(with.canonicalForm()).contains("\"public-suffixes\"");
        assertThat(with.publicSuffixes().organizationalDomain("a.b.example.co.uk"))
                .isEqualTo("example.co.uk");
        Files.writeString(dir.resolve("psl/public_suffix_list.dat"), "com\nco.uk\nuk\n");
        assertThat(CompiledPolicy.compile(dir).digest())
                .as("one more suffix is another policy")
                .isNotEqualTo(with.digest());

        Path classes = temp.resolve("psl-classes");
        with.writeEmbedded(classes);
        String text = Files.readString(classes.resolve(CompiledPolicy.EMBEDDED_POLICY));
        String digest = Files.readString(classes.resolve(CompiledPolicy.EMBEDDED_DIGEST));
        byte[] octets = Files.readAllBytes(classes.resolve(CompiledPolicy.EMBEDDED_PSL));
        CompiledPolicy back =
                CompiledPolicy.verifyEmbedded(text, digest, Optional.empty(), Optional.of(octets));
        assertThat(back.digest()).isEqualTo(with.digest());
        assertThat(back.publicSuffixes().organizationalDomain("x.example.co.uk"))
                .isEqualTo("example.co.uk");

        octets[0] = 'n';
        assertThatThrownBy(
                        () ->
                                CompiledPolicy.verifyEmbedded(
                                        text, digest, Optional.empty(), Optional.of(octets)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the Public Suffix List given has SHA-256");
        assertThatThrownBy(() -> CompiledPolicy.verifyEmbedded(text, digest))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is not here");
    }

    @Test
    void aPolicyDirectoryCannotNameASuffixListItDoesNotHold() throws IOException {
        Path dir = temp.resolve("psl-named");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("inbound.yaml"), BASE + "public-suffixes: {sha256: abc}\n");
        assertThatThrownBy(() -> CompiledPolicy.compile(dir))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("inbound.yaml:")
                .hasMessageContaining("keeps its snapshot in psl/public_suffix_list.dat");
    }

    @Test
    void anEmbeddedPolicyThatDoesNotMatchItsDigestIsRefused() throws IOException {
        Path classes = temp.resolve("classes");
        policy(BASE).writeEmbedded(classes);
        Path json = classes.resolve(CompiledPolicy.EMBEDDED_POLICY);
        String original = Files.readString(json);
        assertThat(
                        CompiledPolicy.verifyEmbedded(
                                        original,
                                        Files.readString(
                                                classes.resolve(CompiledPolicy.EMBEDDED_DIGEST)))
                                .digest())
                .isEqualTo(policy(BASE).digest());
        Files.writeString(json, original.replace("\"tag\": 5", "\"tag\": 50"));
        assertThatThrownBy(
                        () ->
                                CompiledPolicy.verifyEmbedded(
                                        Files.readString(json),
                                        Files.readString(
                                                classes.resolve(CompiledPolicy.EMBEDDED_DIGEST))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does not match its digest");
    }

    @Test
    void descriptionsTravelBesideTheCanonicalFormNotInIt() throws IOException, PolicyException {
        CompiledPolicy repository = CompiledPolicy.compile(Path.of("policy"));
        assertThat(repository.description("gtube"))
                .contains("the Generic Test for Unsolicited Bulk Email");
        assertThat(repository.canonicalForm()).doesNotContain("Generic Test");
        // The runtime's policy is compiled from the canonical form, and still has them.
        assertThat(CompiledPolicy.embedded().descriptions()).isEqualTo(repository.descriptions());
        Path classes = temp.resolve("classes");
        repository.writeEmbedded(classes);
        assertThat(Files.readString(classes.resolve(CompiledPolicy.EMBEDDED_DESCRIPTIONS)))
                .contains("\"gtube\": \"the Generic Test for Unsolicited Bulk Email\"");
    }
}
