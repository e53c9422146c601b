package dev.bulwark.check.mime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Fuzzing of the MIME parser, run by surefire in every build: the test messages of the repository's
 * policy, mutated (nesting, boundaries, transfer encodings, header words and parameters, zip
 * attachments, truncation, stray octets), each parsed with the default budget. Per input: nothing
 * escapes, the octets allocated and the work done are within a bound linear in the input's size.
 * Seeded, so every build tries the same inputs; {@code -Dbulwark.fuzz.tries=N} and {@code
 * -Dbulwark.fuzz.seed=S} try more or others. A failure names the try's seed, which replays it.
 */
class MimeFuzzTest {

    /**
     * Allocation allowed per input octet (about 10 is seen: decoded text as a string and a builder,
     * two octets a character), and a constant for the small objects of any parse. One copy of the
     * body per level of nesting, the defect of issue 11, exceeds it.
     */
    static final long ALLOCATED_PER_OCTET = 16;

    static final long ALLOCATED_CONSTANT = 2L << 20;

    /** Work allowed per input octet: each level of nesting may look at an octet again. */
    static final long WORK_PER_OCTET = 8L * (MessageBudget.defaults().depth() + 2);

    private static final List<byte[]> SEEDS = seeds();
    private static final AtomicLong TRIED = new AtomicLong();
    private static final AtomicLong OCTETS = new AtomicLong();
    private static volatile double worstAllocation;
    private static volatile double worstWork;

    private static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("policy/tests/messages"))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".eml")).sorted().toList()) {
                seeds.add(Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        seeds.add(HostileMessages.nestedMessages(5, 4096));
        return List.copyOf(seeds);
    }

    private static final int TRIES = Integer.getInteger("bulwark.fuzz.tries", 1500);
    private static final long SEED = Long.getLong("bulwark.fuzz.seed", 20261203L);

    @Test
    void parsesMutatedMessagesWithinLinearMemoryAndWork() {
        Random seeds = new Random(SEED);
        for (int i = 0; i < TRIES; i++) {
            long seed = seeds.nextLong();
            byte[] message = mutated(seed);
            try {
                check(message);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("try " + i + ", seed " + seed + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * The input of one try: a seed message and one to six mutations, all drawn from {@code seed}.
     */
    static byte[] mutated(long seed) {
        Random random = new Random(seed);
        byte[] message = SEEDS.get(random.nextInt(SEEDS.size()));
        for (int k = 1 + random.nextInt(6); k > 0; k--) {
            message = Mutations.apply(random.nextInt(12), message, random);
        }
        return message;
    }

    /** Parses one input and holds it to the bounds; returns what was parsed. */
    static ParsedMessage check(byte[] message) {
        Work work = new Work();
        ParsedMessage[] parsed = new ParsedMessage[1];
        byte[] input = message;
        long allocated =
                MimeParserTest.allocated(
                        () ->
                                parsed[0] =
                                        MimeParser.parse(
                                                input,
                                                input.length,
                                                MessageBudget.defaults(),
                                                work));
        assertThat(parsed[0]).isNotNull();
        assertThat(allocated)
                .as("octets allocated for %d octets of input", message.length)
                .isLessThanOrEqualTo(ALLOCATED_PER_OCTET * message.length + ALLOCATED_CONSTANT);
        assertThat(work.steps())
                .as("work for %d octets of input", message.length)
                .isLessThanOrEqualTo(WORK_PER_OCTET * message.length + 4096);
        TRIED.incrementAndGet();
        OCTETS.addAndGet(message.length);
        if (message.length >= 64 * 1024) { // below, the constant dominates
            worstAllocation = Math.max(worstAllocation, allocated / (double) message.length);
        }
        worstWork = Math.max(worstWork, work.steps() / (double) Math.max(1, message.length));
        return parsed[0];
    }

    @AfterAll
    static void report() {
        System.out.printf(
                "MimeFuzzTest: %d inputs tried (%d octets); worst per input octet: %.1f octets"
                        + " allocated (inputs of 64 KiB or more), %.1f steps of work%n",
                TRIED.get(), OCTETS.get(), worstAllocation, worstWork);
    }

    /** What an attacker does to a message. */
    static final class Mutations {
        private Mutations() {}

        private static final String[] FRAGMENTS = {
            "\r\n",
            "\n",
            "--",
            "=?utf-8?B?",
            "=?utf-8?Q?",
            "?=",
            "=",
            "=\r\n",
            "\"",
            ";",
            ":",
            "\r\n ",
            "filename*0*=utf-8''%E2%82",
            "name*1=",
            "boundary=",
            "Content-Type: ",
            "multipart/mixed; boundary=x",
            "message/rfc822",
            "Content-Transfer-Encoding: base64",
            "<a href='",
            "&#x",
            "http://",
            "PK\u0003\u0004",
            "\u0000",
            "\u00ff"
        };

        static byte[] apply(int mutation, byte[] m, Random r) {
            return switch (mutation) {
                case 0 -> nestMessage(m, r.nextInt(25), false);
                case 1 -> nestMessage(m, 1 + r.nextInt(3), true);
                case 2 -> nestMultipart(m, 1 + r.nextInt(25), r);
                case 3 -> dropBoundaryLine(m, r);
                case 4 -> duplicateBoundaryLine(m, r);
                case 5 -> headerWords(m, r);
                case 6 -> attachZip(m, r);
                case 7 -> java.util.Arrays.copyOf(m, r.nextInt(m.length + 1));
                case 8 -> flip(m, r);
                case 9 -> insertFragments(m, r);
                case 10 -> encodedTextPart(m, r);
                default -> longFoldedParameter(m, r);
            };
        }

        static String text(byte[] m) {
            return new String(m, StandardCharsets.ISO_8859_1);
        }

        static byte[] bytes(String s) {
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }

        static byte[] nestMessage(byte[] m, int levels, boolean base64) {
            byte[] out = m;
            for (int i = 0; i < levels; i++) {
                String head =
                        "Subject: level "
                                + i
                                + "\r\nContent-Type: message/rfc822\r\n"
                                + (base64 ? "Content-Transfer-Encoding: base64\r\n" : "")
                                + "\r\n";
                String body =
                        base64 ? Base64.getMimeEncoder().encodeToString(out) + "\r\n" : text(out);
                out = bytes(head + body);
            }
            return out;
        }

        static byte[] nestMultipart(byte[] m, int levels, Random r) {
            String out = text(m);
            for (int i = 0; i < levels; i++) {
                String b = "b" + i + "x" + r.nextInt(1000);
                out =
                        "Content-Type: multipart/mixed; boundary=\""
                                + b
                                + "\"\r\n\r\n--"
                                + b
                                + "\r\n"
                                + out
                                + "\r\n--"
                                + b
                                + (r.nextBoolean() ? "--" : "")
                                + "\r\n";
            }
            return bytes(out);
        }

        static List<int[]> boundaryLines(String s) {
            List<int[]> lines = new ArrayList<>();
            int i = 0;
            while (i < s.length()) {
                int eol = s.indexOf('\n', i);
                int end = eol < 0 ? s.length() : eol + 1;
                if (s.startsWith("--", i)) {
                    lines.add(new int[] {i, end});
                }
                i = end;
            }
            return lines;
        }

        static byte[] dropBoundaryLine(byte[] m, Random r) {
            String s = text(m);
            List<int[]> lines = boundaryLines(s);
            if (lines.isEmpty()) {
                return m;
            }
            int[] l = lines.get(r.nextInt(lines.size()));
            return bytes(s.substring(0, l[0]) + s.substring(l[1]));
        }

        static byte[] duplicateBoundaryLine(byte[] m, Random r) {
            String s = text(m);
            List<int[]> lines = boundaryLines(s);
            if (lines.isEmpty()) {
                return m;
            }
            int[] l = lines.get(r.nextInt(lines.size()));
            String line = s.substring(l[0], l[1]);
            return bytes(s.substring(0, l[1]) + line.repeat(1 + r.nextInt(50)) + s.substring(l[1]));
        }

        static byte[] headerWords(byte[] m, Random r) {
            StringBuilder h = new StringBuilder("Subject: ");
            int n = 1 + r.nextInt(200);
            for (int i = 0; i < n; i++) {
                h.append(FRAGMENTS[r.nextInt(6)]);
                if (r.nextInt(8) == 0) {
                    h.append("\r\n ");
                }
            }
            return bytes(h + "\r\n" + text(m));
        }

        static byte[] attachZip(byte[] m, Random r) {
            List<Object> entries = new ArrayList<>();
            int n = r.nextInt(30);
            for (int i = 0; i < n; i++) {
                entries.add("e" + i + (r.nextBoolean() ? ".exe" : ".zip"));
                entries.add(
                        r.nextBoolean()
                                ? Zips.EXE
                                : Zips.zip(Zips.entries("inner" + i + ".txt", "x".repeat(i))));
            }
            byte[] zip = Zips.zip(Zips.entries(entries.toArray()));
            for (int k = r.nextInt(4); k > 0 && zip.length > 0; k--) {
                zip[r.nextInt(zip.length)] = (byte) r.nextInt(256);
            }
            if (r.nextInt(4) == 0) {
                zip = java.util.Arrays.copyOf(zip, r.nextInt(zip.length + 1));
            }
            String attached = text(Zips.message("f.zip", zip));
            return bytes(
                    attached.replace("here they are\r\n", "here they are\r\n" + "")
                            + (r.nextBoolean() ? text(m) : ""));
        }

        static byte[] flip(byte[] m, Random r) {
            byte[] out = m.clone();
            for (int k = 1 + r.nextInt(8); k > 0 && out.length > 0; k--) {
                out[r.nextInt(out.length)] = (byte) r.nextInt(256);
            }
            return out;
        }

        static byte[] insertFragments(byte[] m, Random r) {
            StringBuilder s = new StringBuilder(text(m));
            for (int k = 1 + r.nextInt(10); k > 0; k--) {
                s.insert(r.nextInt(s.length() + 1), FRAGMENTS[r.nextInt(FRAGMENTS.length)]);
            }
            return bytes(s.toString());
        }

        static byte[] encodedTextPart(byte[] m, Random r) {
            String body = text(m);
            boolean qp = r.nextBoolean();
            String encoded =
                    qp
                            ? body.replace("=", "=3D").replace("\r\n", "=0D=0A=\r\n")
                            : Base64.getMimeEncoder().encodeToString(m);
            return bytes(
                    "Content-Type: multipart/alternative; boundary=z\r\n\r\n--z\r\n"
                            + "Content-Type: text/"
                            + (r.nextBoolean() ? "html" : "plain")
                            + "; charset=utf-8\r\nContent-Transfer-Encoding: "
                            + (qp ? "quoted-printable" : "base64")
                            + "\r\n\r\n"
                            + encoded
                            + "\r\n--z--\r\n");
        }

        static byte[] longFoldedParameter(byte[] m, Random r) {
            StringBuilder name = new StringBuilder();
            int n = 1 + r.nextInt(2000);
            for (int i = 0; i < n; i++) {
                name.append(FRAGMENTS[r.nextInt(FRAGMENTS.length)]).append("\r\n ");
            }
            return bytes(
                    "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"
                            + "Content-Type: application/octet-stream; name*0*=utf-8''"
                            + name
                            + "; name*1=\""
                            + name
                            + "\"\r\nContent-Disposition: attachment; filename=\"=?utf-8?Q?"
                            + name
                            + "\"\r\n\r\n"
                            + text(m)
                            + "\r\n--q--\r\n");
        }
    }
}
