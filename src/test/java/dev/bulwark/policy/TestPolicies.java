package dev.bulwark.policy;

import dev.bulwark.envelope.Paths;
import dev.bulwark.flow.Policy;
import dev.bulwark.flow.Trial;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Small policies and sessions for tests. */
final class TestPolicies {
    private TestPolicies() {}

    /** Compiles a one-file policy; {@code relay-domains: [example.com]} is added when absent. */
    static CompiledPolicy policy(String yaml) {
        String text =
                yaml.contains("relay-domains:") ? yaml : "relay-domains: [example.com]\n" + yaml;
        try {
            return CompiledPolicy.fromCanonical("test.yaml", text);
        } catch (PolicyException e) {
            throw new AssertionError("test policy does not compile:\n" + e.getMessage(), e);
        }
    }

    static byte[] message(String text) {
        return text.replace("\r\n", "\n").replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    static final String PLAIN =
            """
            From: alice@example.org
            To: bob@example.com
            Subject: Lunch
            Date: Tue, 3 Sep 2024 10:00:00 +0000
            Message-ID: <1@example.org>

            See you at noon.
            """;

    static Envelope envelope(String client, String helo, String sender, String... recipients) {
        try {
            return new Envelope(
                    InetAddress.ofLiteral(client),
                    helo,
                    Paths.parseReversePath(sender.startsWith("<") ? sender : "<" + sender + ">"),
                    List.of(recipients));
        } catch (IllegalArgumentException e) {
            throw new AssertionError(e);
        }
    }

    static Envelope envelope() {
        return envelope(
                "198.51.100.25", "mail.example.org", "alice@example.org", "bob@example.com");
    }

    static Trial run(CompiledPolicy p, String message) {
        return Trial.run(Policy.of(p), envelope(), message(message));
    }

    static Trial run(CompiledPolicy p, Envelope e, String message) {
        return Trial.run(Policy.of(p), e, message(message));
    }
}
