package dev.bulwark.audit;

import dev.bulwark.json.JsonReader;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code bulwark audit verify}: proves that audit files hold whole chains ({@link AuditChain}): no
 * line removed, reordered or altered. Files are read in the order given, as one sequence: the
 * rotated files of one node oldest first, then the current one. A file may hold several chains (one
 * per start of the node); each begins with its genesis line.
 *
 * <p>What a chain alone cannot show is lines cut from its end: for that, give the head a collector
 * anchored earlier ({@code /version}'s {@code audit_chain_head}) with {@code --head}; the files
 * must then contain a line with that hash.
 *
 * <p>The first bad line is reported as {@code file:line: error: what is wrong}; verification stops
 * there, since after a break nothing later can be trusted to be in place.
 */
public final class ChainVerifier {

    /** The outcome: every chain found, or the first error. */
    public record Result(List<Chain> chains, Optional<String> error) {
        public Result {
            chains = List.copyOf(chains);
        }

        public boolean ok() {
            return error.isEmpty();
        }
    }

    /**
     * One chain found in the files.
     *
     * @param boot the genesis line's boot id
     * @param run the genesis line's run id
     * @param start where its genesis line is ({@code file:line})
     * @param records how many lines it has, the genesis line included
     * @param head the SHA-256 of its last line
     */
    public record Chain(String boot, String run, String start, long records, String head) {}

    private final List<Chain> chains = new ArrayList<>();
    private final MessageDigest sha256;
    private String boot;
    private String run;
    private String start;
    private long nextSeq = -1;
    private String prevHash;
    private String prevWhere;

    private ChainVerifier() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /**
     * Verifies {@code files} in order, printing each chain to {@code out} and the first error to
     * {@code err}.
     *
     * @param anchoredHead a head hash recorded elsewhere earlier, which some line must have
     * @return 0 when every line is in its chain (and the anchored head was found), 1 otherwise
     */
    public static int run(
            List<Path> files, Optional<String> anchoredHead, PrintStream out, PrintStream err) {
        Result r = verify(files, anchoredHead);
        for (Chain c : r.chains()) {
            out.println(
                    "chain from "
                            + c.start()
                            + " (boot "
                            + c.boot()
                            + ", run "
                            + c.run()
                            + "): "
                            + c.records()
                            + " records, head "
                            + c.head());
        }
        if (r.error().isPresent()) {
            err.println(r.error().get());
            return 1;
        }
        out.println(
                "ok: "
                        + r.chains().stream().mapToLong(Chain::records).sum()
                        + " records in "
                        + r.chains().size()
                        + " chain(s), none removed, reordered or altered"
                        + anchoredHead
                                .map(h -> "; the anchored head " + h + " is there")
                                .orElse(""));
        return 0;
    }

    /** Verifies {@code files} in order; see the class comment. */
    public static Result verify(List<Path> files, Optional<String> anchoredHead) {
        ChainVerifier v = new ChainVerifier();
        boolean anchorSeen = false;
        for (Path file : files) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (IOException e) {
                return v.failed(file + ": error: cannot be read: " + e.getMessage());
            }
            int line = 0;
            int from = 0;
            while (from < bytes.length) {
                int lf = indexOf(bytes, (byte) '\n', from);
                int end = lf < 0 ? bytes.length : lf;
                line++;
                byte[] text = Arrays.copyOfRange(bytes, from, end);
                String where = file + ":" + line;
                Optional<String> problem = v.line(text, where);
                if (problem.isPresent()) {
                    return v.failed(where + ": error: " + problem.get());
                }
                if (anchoredHead.isPresent() && anchoredHead.get().equals(v.prevHash)) {
                    anchorSeen = true;
                }
                from = end + 1;
            }
            if (line == 0) {
                return v.failed(file + ": error: empty: an audit file begins with a record");
            }
        }
        v.endChain();
        if (anchoredHead.isPresent() && !anchorSeen) {
            return new Result(
                    v.chains,
                    Optional.of(
                            "error: no line has the anchored head "
                                    + anchoredHead.get()
                                    + ": lines up to and including it were removed or altered"
                                    + " (or these are not the node's files)"));
        }
        return new Result(v.chains, Optional.empty());
    }

    private Result failed(String error) {
        endChain();
        return new Result(chains, Optional.of(error));
    }

    /** Checks one line against the chain so far and adds it; the problem, if any. */
    private Optional<String> line(byte[] bytes, String where) {
        if (bytes.length == 0) {
            return Optional.of("an empty line where a record belongs");
        }
        Map<?, ?> members;
        try {
            String text =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(java.nio.ByteBuffer.wrap(bytes))
                            .toString();
            if (!(JsonReader.parseAnyNumbers(text) instanceof Map<?, ?> m)) {
                return Optional.of("not a JSON object");
            }
            members = m;
        } catch (CharacterCodingException e) {
            return Optional.of("not UTF-8 text");
        } catch (IllegalArgumentException e) {
            return Optional.of(
                    "not a JSON record (" + e.getMessage() + "); a write cut short, or an edit");
        }
        if (!(members.get("seq") instanceof Long seq) || seq < 0) {
            return Optional.of("no \"seq\" number: not a line of an audit chain");
        }
        if (!(members.get("prev") instanceof String prev) || !isHash(prev)) {
            return Optional.of("no \"prev\" hash: not a line of an audit chain");
        }
        String hash = AuditChain.hex(sha256.digest(bytes));
        if ("genesis".equals(members.get("kind"))) {
            if (seq != 0 || !prev.equals(AuditChain.ZERO)) {
                return Optional.of(
                        "a genesis line must have seq 0 and prev "
                                + AuditChain.ZERO
                                + ", not seq "
                                + seq
                                + " and prev "
                                + prev);
            }
            endChain();
            boot = text(members.get("boot"));
            run = text(members.get("run"));
            start = where;
        } else {
            if (nextSeq < 0) {
                return Optional.of(
                        "record "
                                + seq
                                + " has no genesis line before it: the lines before it are missing"
                                + " (give the node's earlier files first, oldest first)");
            }
            if (seq != nextSeq) {
                return Optional.of(
                        "record "
                                + seq
                                + " where record "
                                + nextSeq
                                + " belongs: "
                                + (seq > nextSeq
                                        ? (seq - nextSeq) + " record(s) before it were removed"
                                        : "the records were reordered or repeated"));
            }
            if (!prev.equals(prevHash)) {
                return Optional.of(
                        "prev "
                                + prev
                                + " is not the SHA-256 of the line before it ("
                                + prevWhere
                                + ", "
                                + prevHash
                                + "): that line was altered, or this one's prev was");
            }
        }
        nextSeq = seq + 1;
        prevHash = hash;
        prevWhere = where;
        return Optional.empty();
    }

    private void endChain() {
        if (start != null) {
            chains.add(new Chain(boot, run, start, nextSeq, prevHash));
            start = null;
        }
    }

    private static boolean isHash(String s) {
        return s.length() == 64
                && s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }

    private static String text(Object member) {
        return member instanceof String s ? s : "?";
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
