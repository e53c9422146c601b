package dev.bulwark.check.mime;

import java.util.Locale;

/**
 * What parsing one message may cost (ADR 0012). The parser stops spending where a budget runs out,
 * keeps what it parsed, and names the budget in {@link ParsedMessage#budgetExceeded()}; it never
 * throws and never needs more memory than {@link #heapBound()}.
 *
 * @param bytes octets of the message parsed (and seen by raw rules); a longer message is parsed up
 *     to here
 * @param parts MIME entities walked (the message itself, every part, every attached message); past
 *     it the walk stops
 * @param depth nesting of multiparts and attached messages; deeper entities are not descended into
 * @param decoded octets produced by decoding (base64, quoted-printable) and by decompressing
 *     archive entries, over the whole message; past it nothing more is decoded
 * @param text characters of decoded text kept for body rules; the rest is dropped
 * @param archiveEntries entries of zip archives listed, over the whole message
 * @param archiveDepth zip archives inside zip archives: an archive attached to the message is at
 *     depth 1, one inside it at 2; deeper ones are listed as attachments but not opened
 * @param archiveRatio largest uncompressed-to-compressed size ratio of an archive entry (entries
 *     under {@value #RATIO_FLOOR} octets uncompressed are not held to it); a larger one is a zip
 *     bomb and is never decompressed
 */
public record MessageBudget(
        long bytes,
        int parts,
        int depth,
        long decoded,
        int text,
        int archiveEntries,
        int archiveDepth,
        int archiveRatio) {

    /** The largest array a JVM allocates: the message buffer is one array. */
    public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    /** Entries that inflate to less than this are too small to be a bomb, whatever their ratio. */
    public static final int RATIO_FLOOR = 100 * 1024;

    /** A budget that ran out, by the name rules and the audit log know it by. */
    public enum Kind {
        BYTES,
        PARTS,
        DEPTH,
        DECODED,
        TEXT,
        ARCHIVE_ENTRIES,
        ARCHIVE_DEPTH,
        ARCHIVE_RATIO;

        /** {@code bytes}, {@code parts}, ..., {@code archive-ratio}. */
        public String fact() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        @Override
        public String toString() {
            return fact();
        }
    }

    public MessageBudget {
        if (bytes <= 0 || bytes > MAX_BYTES) {
            throw new IllegalArgumentException(
                    bytes + " is not a valid bytes budget: it must be between 1 and " + MAX_BYTES);
        }
        positive(parts, "parts");
        positive(depth, "depth");
        if (decoded < 0) {
            throw new IllegalArgumentException(
                    decoded + " is not a valid decoded budget: it must not be negative");
        }
        positive(text, "text");
        positive(archiveEntries, "archive-entries");
        positive(archiveDepth, "archive-depth");
        positive(archiveRatio, "archive-ratio");
    }

    private static void positive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(
                    value + " is not a valid " + name + " budget: it must be positive");
        }
    }

    /**
     * The budget for a policy whose largest message is {@code maxMessageSize} octets: every message
     * the SMTP layer accepts is parsed whole, decoding may produce as much again, and the counts
     * that do not grow with size are fixed (see ADR 0012).
     */
    public static MessageBudget forMaxMessageSize(long maxMessageSize) {
        if (maxMessageSize <= 0) {
            throw new IllegalArgumentException(
                    maxMessageSize + " is not a valid maximum message size: it must be positive");
        }
        long bytes = Math.min(maxMessageSize, MAX_BYTES);
        int parts = (int) Math.max(256, Math.min(4096, maxMessageSize / (32 * 1024)));
        int text = (int) Math.min(4L * 1024 * 1024, bytes);
        return new MessageBudget(bytes, parts, 20, bytes, text, 1000, 3, 100);
    }

    /** The budget for the default largest message, 25 MiB ({@code Limits.defaults()}). */
    public static MessageBudget defaults() {
        return DEFAULTS;
    }

    private static final MessageBudget DEFAULTS = forMaxMessageSize(25L * 1024 * 1024);

    /**
     * An upper bound of the heap one parse holds at once, in octets, for sizing a node's heap: the
     * message buffer, everything decoding may produce, the text in three forms (being built, kept,
     * and case-folded by the rules) of two octets a character, and about 1 KiB per part and archive
     * entry for their names and headers.
     */
    public long heapBound() {
        return bytes + decoded + 6L * text + 1024L * (parts + archiveEntries);
    }

    public MessageBudget withBytes(long value) {
        return new MessageBudget(
                value, parts, depth, decoded, text, archiveEntries, archiveDepth, archiveRatio);
    }

    public MessageBudget withParts(int value) {
        return new MessageBudget(
                bytes, value, depth, decoded, text, archiveEntries, archiveDepth, archiveRatio);
    }

    public MessageBudget withDepth(int value) {
        return new MessageBudget(
                bytes, parts, value, decoded, text, archiveEntries, archiveDepth, archiveRatio);
    }

    public MessageBudget withDecoded(long value) {
        return new MessageBudget(
                bytes, parts, depth, value, text, archiveEntries, archiveDepth, archiveRatio);
    }

    public MessageBudget withText(int value) {
        return new MessageBudget(
                bytes, parts, depth, decoded, value, archiveEntries, archiveDepth, archiveRatio);
    }

    public MessageBudget withArchives(int entries, int archiveDepth, int ratio) {
        return new MessageBudget(bytes, parts, depth, decoded, text, entries, archiveDepth, ratio);
    }
}
