package dev.bulwark.policy;

import dev.bulwark.auth.PublicSuffixList;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The Public Suffix List pass: the snapshot DMARC and the URI lists use to find organisational
 * domains is part of the policy source, so the canonical form names it by SHA-256 and the digest
 * covers it (ADR 0013). A directory's {@code psl/public_suffix_list.dat} is read and named; a
 * canonical form's {@code public-suffixes} section must find those very octets beside it.
 */
final class SuffixesBuild {

    private SuffixesBuild() {}

    /** The snapshot as compiled: its octets (kept for the runtime), list and SHA-256. */
    record Built(byte[] octets, PublicSuffixList list, Located<String> sha256) {}

    /** The snapshot, empty when the policy has none or it is wrong (then with an error). */
    static Optional<Built> build(PolicyDecl policy, PolicySource source, Problems problems) {
        Optional<PolicySource.Snapshot> given = source.suffixes();
        if (source.directory().isPresent()) {
            policy.publicSuffixes()
                    .ifPresent(
                            s ->
                                    problems.error(
                                            s.pos(),
                                            "'public-suffixes' is written by the compiler into a"
                                                    + " canonical form; a policy directory keeps"
                                                    + " its snapshot in "
                                                    + PolicySource.SUFFIXES));
            return given.map(
                    g ->
                            built(
                                    g.octets(),
                                    Located.of(
                                            PolicyCompiler.sha256(g.octets()),
                                            new Pos(g.file(), 1, 1))));
        }
        if (policy.publicSuffixes().isEmpty()) {
            given.ifPresent(
                    g ->
                            problems.error(
                                    policy.start(),
                                    "a Public Suffix List came with this canonical form, but it"
                                            + " names none ('public-suffixes')"));
            return Optional.empty();
        }
        Located<String> named = policy.publicSuffixes().get();
        if (given.isEmpty()) {
            problems.error(
                    named.pos(),
                    "the Public Suffix List "
                            + named.value()
                            + " is not here: a canonical form's snapshot travels beside it ("
                            + CompiledPolicy.EMBEDDED_PSL
                            + " in the runtime)");
            return Optional.empty();
        }
        String actual = PolicyCompiler.sha256(given.get().octets());
        if (!actual.equals(named.value())) {
            problems.error(
                    named.pos(),
                    "the Public Suffix List given has SHA-256 "
                            + actual
                            + ", not "
                            + named.value());
            return Optional.empty();
        }
        return Optional.of(built(given.get().octets(), named));
    }

    private static Built built(byte[] octets, Located<String> sha) {
        try {
            return new Built(
                    octets.clone(), PublicSuffixList.read(new ByteArrayInputStream(octets)), sha);
        } catch (IOException e) {
            throw new UncheckedIOException("reading octets in memory", e);
        }
    }
}
