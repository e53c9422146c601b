package dev.bulwark.auth.dkim;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Signs test messages, written apart from the verifier (whole strings and regular expressions
 * instead of a streaming state machine) so that each checks the other. Also used by the
 * sender-authentication benchmark.
 */
public final class TestSigner {

    private TestSigner() {}

    public record Options(
            String domain,
            String selector,
            boolean relaxedHeader,
            boolean relaxedBody,
            List<String> headers,
            Long length,
            String extraTags,
            String identity) {

        public static Options of(String domain, String selector) {
            return new Options(
                    domain, selector, true, true, List.of("from", "to", "subject"), null, "", null);
        }

        Options canon(boolean header, boolean body) {
            return new Options(
                    domain, selector, header, body, headers, length, extraTags, identity);
        }

        Options length(long l) {
            return new Options(
                    domain, selector, relaxedHeader, relaxedBody, headers, l, extraTags, identity);
        }

        Options extra(String tags) {
            return new Options(
                    domain, selector, relaxedHeader, relaxedBody, headers, length, tags, identity);
        }

        Options identity(String i) {
            return new Options(
                    domain, selector, relaxedHeader, relaxedBody, headers, length, extraTags, i);
        }
    }

    /** The message with a DKIM-Signature field on top. */
    public static String sign(String message, KeyPair key, Options o) throws Exception {
        int split = message.indexOf("\r\n\r\n");
        String header = message.substring(0, split + 2);
        String body = message.substring(split + 4);
        String canonBody = o.relaxedBody ? relaxedBody(body) : simpleBody(body);
        byte[] hashed = canonBody.getBytes(StandardCharsets.ISO_8859_1);
        if (o.length != null) {
            hashed = java.util.Arrays.copyOf(hashed, (int) Math.min(o.length, hashed.length));
        }
        String bh =
                Base64.getEncoder()
                        .encodeToString(MessageDigest.getInstance("SHA-256").digest(hashed));
        boolean ed =
                key.getPublic().getAlgorithm().equals("Ed25519")
                        || key.getPublic().getAlgorithm().equals("EdDSA");
        String field =
                "DKIM-Signature: v=1; a="
                        + (ed ? "ed25519-sha256" : "rsa-sha256")
                        + "; c="
                        + (o.relaxedHeader ? "relaxed" : "simple")
                        + "/"
                        + (o.relaxedBody ? "relaxed" : "simple")
                        + ";\r\n d="
                        + o.domain
                        + "; s="
                        + o.selector
                        + (o.identity == null ? "" : "; i=" + o.identity)
                        + (o.length == null ? "" : "; l=" + o.length)
                        + o.extraTags
                        + ";\r\n h="
                        + String.join(":", o.headers)
                        + "; bh="
                        + bh
                        + ";\r\n b=";
        List<String> fields = fields(header);
        StringBuilder data = new StringBuilder();
        List<Integer> used = new ArrayList<>();
        for (String name : o.headers) {
            for (int i = fields.size() - 1; i >= 0; i--) {
                String f = fields.get(i);
                if (!used.contains(i)
                        && f.substring(0, f.indexOf(':')).strip().equalsIgnoreCase(name)) {
                    used.add(i);
                    data.append(o.relaxedHeader ? relaxedHeader(f) + "\r\n" : f);
                    break;
                }
            }
        }
        data.append(o.relaxedHeader ? relaxedHeader(field) : field);
        byte[] toSign = data.toString().getBytes(StandardCharsets.ISO_8859_1);
        Signature s;
        if (ed) {
            s = Signature.getInstance("Ed25519");
            s.initSign(key.getPrivate());
            s.update(MessageDigest.getInstance("SHA-256").digest(toSign));
        } else {
            s = Signature.getInstance("SHA256withRSA");
            s.initSign(key.getPrivate());
            s.update(toSign);
        }
        String b = Base64.getEncoder().encodeToString(s.sign());
        return field + b + "\r\n" + message;
    }

    private static List<String> fields(String header) {
        List<String> out = new ArrayList<>();
        for (String line : header.split("(?<=\r\n)")) {
            if (line.startsWith(" ") || line.startsWith("\t")) {
                out.set(out.size() - 1, out.get(out.size() - 1) + line);
            } else if (!line.isEmpty()) {
                out.add(line);
            }
        }
        return out;
    }

    static String relaxedHeader(String field) {
        int colon = field.indexOf(':');
        String name = field.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        String value =
                field.substring(colon + 1).replaceAll("\r\n(?=[ \t])", "").replaceAll("\r\n$", "");
        value = value.replaceAll("[ \t]+", " ").strip();
        return name + ":" + value;
    }

    static String relaxedBody(String body) {
        String b = body.replaceAll("[ \t]+\r\n", "\r\n").replaceAll("[ \t]+", " ");
        b = b.replaceAll("[ \t]+$", "");
        b = b.replaceAll("(\r\n)+$", "");
        return b.isEmpty() ? "" : b + "\r\n";
    }

    static String simpleBody(String body) {
        String b = body.replaceAll("(\r\n)+$", "");
        return b + "\r\n";
    }
}
