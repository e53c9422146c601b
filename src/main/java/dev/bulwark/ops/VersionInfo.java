package dev.bulwark.ops;

import dev.bulwark.audit.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a node runs, as {@code /version} shows it and {@code bulwark fleet} compares it. Filled from
 * the runtime's manifest at start.
 *
 * @param version the release version
 * @param commit the source commit the runtime was built from
 * @param policyDigest the digest of the compiled policy inside the runtime
 * @param signature the state of the manifest's signature, as the self-verification found it (for
 *     example {@code verified} or {@code unsigned})
 */
public record VersionInfo(String version, String commit, String policyDigest, String signature) {

    public VersionInfo {
        requireText(version, "version");
        requireText(commit, "commit");
        requireText(policyDigest, "policyDigest");
        requireText(signature, "signature");
    }

    private static void requireText(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
    }

    /** The {@code /version} document: one flat JSON object. */
    public String toJson() {
        StringBuilder b = new StringBuilder(192).append('{');
        Json.string(b, "version").append(':');
        Json.string(b, version).append(',');
        Json.string(b, "commit").append(':');
        Json.string(b, commit).append(',');
        Json.string(b, "policy_digest").append(':');
        Json.string(b, policyDigest).append(',');
        Json.string(b, "signature").append(':');
        Json.string(b, signature);
        return b.append('}').toString();
    }

    /**
     * Reads a {@code /version} document. Unknown members are ignored, so newer nodes may add some.
     *
     * @return empty if the text is not a JSON object with the four string members
     */
    public static Optional<VersionInfo> parse(String json) {
        Map<String, String> members;
        try {
            members = new FlatObject(json).read();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        String version = members.get("version");
        String commit = members.get("commit");
        String digest = members.get("policy_digest");
        String signature = members.get("signature");
        if (version == null || commit == null || digest == null || signature == null
                || version.isBlank() || commit.isBlank() || digest.isBlank() || signature.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new VersionInfo(version, commit, digest, signature));
    }

    /**
     * A strict reader for one JSON object whose members we want are strings; other member values
     * (numbers, booleans, null, nested values) are skipped. Throws IllegalArgumentException on
     * anything that is not well-formed.
     */
    private static final class FlatObject {
        private final String s;
        private int i;

        FlatObject(String s) {
            this.s = s;
        }

        Map<String, String> read() {
            Map<String, String> out = new LinkedHashMap<>();
            space();
            expect('{');
            space();
            if (peek() == '}') {
                i++;
            } else {
                while (true) {
                    space();
                    String name = string();
                    space();
                    expect(':');
                    space();
                    if (peek() == '"') {
                        out.put(name, string());
                    } else {
                        skipValue();
                    }
                    space();
                    char c = next();
                    if (c == '}') {
                        break;
                    }
                    if (c != ',') {
                        throw new IllegalArgumentException("expected , or } at " + (i - 1));
                    }
                }
            }
            space();
            if (i != s.length()) {
                throw new IllegalArgumentException("trailing text at " + i);
            }
            return out;
        }

        private void skipValue() {
            char c = peek();
            if (c == '"') {
                string();
            } else if (c == '{' || c == '[') {
                int depth = 0;
                do {
                    char d = next();
                    if (d == '"') {
                        i--;
                        string();
                    } else if (d == '{' || d == '[') {
                        depth++;
                    } else if (d == '}' || d == ']') {
                        depth--;
                    }
                } while (depth > 0);
            } else {
                int start = i;
                while (i < s.length() && "-+.eE0123456789truefalsn".indexOf(s.charAt(i)) >= 0) {
                    i++;
                }
                if (i == start) {
                    throw new IllegalArgumentException("expected a value at " + i);
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return b.toString();
                }
                if (c < 0x20) {
                    throw new IllegalArgumentException("control character in string at " + (i - 1));
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw new IllegalArgumentException("short \\u escape at " + i);
                        }
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> throw new IllegalArgumentException("bad escape at " + (i - 1));
                }
            }
        }

        private void space() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private char peek() {
            if (i >= s.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            return s.charAt(i);
        }

        private char next() {
            char c = peek();
            i++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) {
                throw new IllegalArgumentException("expected " + c + " at " + (i - 1));
            }
        }
    }
}
