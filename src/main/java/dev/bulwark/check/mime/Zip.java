package dev.bulwark.check.mime;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Lists the entries of a zip archive held in memory: names from the central directory (and from
 * each entry's local header, when it says otherwise), types from each entry's first octets, and the
 * entries of zip archives inside, within the {@link MessageBudget}: entries, archive depth,
 * compression ratio, and decoded octets. Only {@code java.util.zip.Inflater} is used, and only on
 * the first octets of an entry or on an entry that is itself an archive; nothing is ever inflated
 * past the budget, so a zip bomb costs what its compressed octets cost.
 */
final class Zip {
    private Zip() {}

    private static final int LOCAL = 0x04034b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int END = 0x06054b50;
    private static final int END64 = 0x06064b50;
    private static final int END64_LOCATOR = 0x07064b50;

    /** Octets of an entry inflated to recognise its type. */
    private static final int SNIFF = 16;

    /** Names are kept to this many characters (the start and the end, where the extension is). */
    static final int MAX_NAME = 1024;

    private static final Charset IBM437 = EncodedWords.charsetOrNull("IBM437");

    /** Whether the octets start like a zip archive (a local header, or an empty archive). */
    static boolean looksLikeZip(byte[] b, int off, int len) {
        if (len < 4) {
            return false;
        }
        int sig = u32(b, off);
        return sig == LOCAL || sig == END;
    }

    /**
     * Adds an attachment for every entry of the archive {@code b[off, off + len)}, which is {@code
     * archive} (the path shown for its entries) at archive depth {@code depth}.
     */
    static void list(
            byte[] b,
            int off,
            int len,
            String archive,
            int depth,
            Spend spend,
            List<ParsedMessage.Attachment> out) {
        Inflater inflater = new Inflater(true);
        try {
            new Reader(b, off, len, archive, depth, spend, out, inflater).read();
        } finally {
            inflater.end();
        }
    }

    private static final class Reader {
        final byte[] b;
        final int off;
        final int end;
        final String archive;
        final int depth;
        final Spend spend;
        final List<ParsedMessage.Attachment> out;
        final Inflater inflater;

        Reader(
                byte[] b,
                int off,
                int len,
                String archive,
                int depth,
                Spend spend,
                List<ParsedMessage.Attachment> out,
                Inflater inflater) {
            this.b = b;
            this.off = off;
            this.end = off + len;
            this.archive = archive;
            this.depth = depth;
            this.spend = spend;
            this.out = out;
            this.inflater = inflater;
        }

        void read() {
            int eocd = findEnd();
            if (eocd < 0) {
                malformed();
                localHeaders();
                return;
            }
            long entries = u16(b, eocd + 10);
            long cdSize = u32(b, eocd + 12) & 0xffffffffL;
            long cdOffset = u32(b, eocd + 16) & 0xffffffffL;
            int locator = eocd - 20;
            if ((entries == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL)
                    && locator >= off
                    && u32(b, locator) == END64_LOCATOR) {
                long at = off + u64(b, locator + 8);
                if (at >= off && at + 56 <= end && u32(b, (int) at) == END64) {
                    entries = u64(b, (int) at + 32);
                    cdSize = u64(b, (int) at + 40);
                    cdOffset = u64(b, (int) at + 48);
                    locator = (int) at;
                }
            }
            // Data before the archive (a self-extractor's code) shifts every offset by the
            // same amount, as Info-ZIP reckons it.
            long shift = Math.max(0, (locator < eocd ? locator : eocd) - off - cdSize - cdOffset);
            long at = off + shift + cdOffset;
            if (cdSize < 0 || cdOffset < 0 || at < off || at > end) {
                malformed();
                localHeaders();
                return;
            }
            int p = (int) at;
            if (p + 4 > end || (u32(b, p) != CENTRAL && entries != 0)) {
                malformed();
                localHeaders();
                return;
            }
            // The central directory is read by its signatures, not by the count the end record
            // declares, which an attacker sets to 0 to hide entries from tools that trust it.
            long listed = 0;
            while (p + 46 <= end && u32(b, p) == CENTRAL) {
                if (!spend.archiveEntry()) {
                    return;
                }
                listed++;
                int flags = u16(b, p + 8);
                int method = u16(b, p + 10);
                long compressed = u32(b, p + 20) & 0xffffffffL;
                long size = u32(b, p + 24) & 0xffffffffL;
                int nameLen = u16(b, p + 28);
                int extraLen = u16(b, p + 30);
                int commentLen = u16(b, p + 32);
                long local = u32(b, p + 42) & 0xffffffffL;
                int nameAt = p + 46;
                if (nameAt + nameLen > end) {
                    malformed();
                    return;
                }
                long[] wide = zip64(nameAt + nameLen, extraLen, size, compressed, local);
                spend.work.add(46L + nameLen);
                String name = name(nameAt, nameLen, flags);
                entry(name, flags, method, wide[1], wide[0], off + shift + wide[2]);
                p = nameAt + nameLen + extraLen + commentLen;
            }
            if (listed != entries) {
                malformed();
            }
        }

        /** The end-of-central-directory record: in the last 64 KiB + 22 octets, or -1. */
        private int findEnd() {
            int lowest = Math.max(off, end - 22 - 0xffff);
            for (int p = end - 22; p >= lowest; p--) {
                if (b[p] == 'P' && u32(b, p) == END) {
                    spend.work.add(end - p);
                    return p;
                }
            }
            spend.work.add(end - lowest);
            return -1;
        }

        /** Sizes and offset from a ZIP64 extra field, for those the header gives as 0xffffffff. */
        private long[] zip64(int extra, int extraLen, long size, long compressed, long local) {
            long[] r = {size, compressed, local};
            int p = extra;
            int stop = Math.min(end, extra + extraLen);
            while (p + 4 <= stop) {
                int id = u16(b, p);
                int len = u16(b, p + 2);
                if (id == 1) {
                    int q = p + 4;
                    for (int k = 0; k < 3; k++) {
                        if (r[k] == 0xffffffffL && q + 8 <= Math.min(stop, p + 4 + len)) {
                            r[k] = u64(b, q);
                            q += 8;
                        }
                    }
                    break;
                }
                p += 4 + len;
            }
            return r;
        }

        /** Without a central directory (a cut-off archive): walks the local headers. */
        private void localHeaders() {
            int p = off;
            while (p + 30 <= end && u32(b, p) == LOCAL) {
                if (!spend.archiveEntry()) {
                    return;
                }
                int flags = u16(b, p + 6);
                int method = u16(b, p + 8);
                long compressed = u32(b, p + 18) & 0xffffffffL;
                long size = u32(b, p + 22) & 0xffffffffL;
                int nameLen = u16(b, p + 26);
                int extraLen = u16(b, p + 28);
                if (p + 30 + nameLen > end) {
                    return;
                }
                spend.work.add(30L + nameLen);
                String name = name(p + 30, nameLen, flags);
                long data = (long) p + 30 + nameLen + extraLen;
                boolean sizesKnown = (flags & 8) == 0;
                entry(name, flags, method, sizesKnown ? compressed : -1, size, p, true);
                if (sizesKnown && data + compressed <= end) {
                    p = (int) (data + compressed);
                    continue;
                }
                // Sizes follow the data (a streamed archive): the next header is found by its
                // signature.
                int next = -1;
                for (long q = data; q + 4 <= end; q++) {
                    if (b[(int) q] == 'P' && u32(b, (int) q) == LOCAL) {
                        next = (int) q;
                        break;
                    }
                }
                spend.work.add((next < 0 ? end : next) - data);
                if (next < 0) {
                    return;
                }
                p = next;
            }
        }

        private void entry(
                String name, int flags, int method, long compressed, long size, long local) {
            entry(name, flags, method, compressed, size, local, false);
        }

        /**
         * One entry whose local header is at {@code local}: recorded under its central-directory
         * name and, when the local header names it otherwise (a classic evasion: tools differ in
         * which they show), under that name too.
         */
        private void entry(
                String name,
                int flags,
                int method,
                long compressed,
                long size,
                long local,
                boolean fromLocal) {
            long data = -1;
            if (local >= off && local + 30 <= end && u32(b, (int) local) == LOCAL) {
                int nameLen = u16(b, (int) local + 26);
                int extraLen = u16(b, (int) local + 28);
                data = local + 30 + nameLen + extraLen;
                if (!fromLocal && local + 30 + nameLen <= end) {
                    String localName = name((int) local + 30, nameLen, flags);
                    if (!localName.equals(name)) {
                        malformed();
                        if (!localName.endsWith("/") && !localName.isEmpty()) {
                            record(localName, "application/octet-stream");
                        }
                    }
                }
            }
            if (name.endsWith("/")) {
                return; // a directory
            }
            boolean bomb =
                    size > MessageBudget.RATIO_FLOOR
                            && size > (long) spend.budget.archiveRatio() * Math.max(compressed, 0);
            if (bomb) {
                spend.exceed(MessageBudget.Kind.ARCHIVE_RATIO);
            }
            boolean encrypted = (flags & 1) != 0;
            boolean readable =
                    !encrypted && data >= 0 && data <= end && (method == 0 || method == 8);
            long available = readable ? Math.min(end - data, compressed < 0 ? end : compressed) : 0;
            byte[] head =
                    readable
                            ? inflate((int) data, (int) available, method, SNIFF, Long.MAX_VALUE)
                            : null;
            String type = head == null ? "application/octet-stream" : type(head, name);
            record(name, type);
            if (!type.equals("application/zip") || head == null) {
                return;
            }
            if (depth >= spend.budget.archiveDepth()) {
                spend.exceed(MessageBudget.Kind.ARCHIVE_DEPTH);
                return;
            }
            if (bomb) {
                return;
            }
            int left = spend.decodedLeft();
            if (left == 0) {
                spend.exceed(MessageBudget.Kind.DECODED);
                return;
            }
            long want = size > 0 && compressed >= 0 ? size : Long.MAX_VALUE;
            int limit = (int) Math.min(left, want);
            long ratioLimit = Math.max((long) spend.budget.archiveRatio() * available, 0);
            byte[] inner = inflate((int) data, (int) available, method, limit, ratioLimit);
            if (inner == null) {
                return;
            }
            spend.decoded(inner.length);
            if (inner.length >= left && want > left) {
                spend.exceed(MessageBudget.Kind.DECODED);
            }
            String path = archive + "/" + name;
            Reader nested =
                    new Reader(inner, 0, inner.length, path, depth + 1, spend, out, inflater);
            nested.read();
        }

        /**
         * The first {@code limit} octets of an entry's data (stored or deflated), or null when they
         * cannot be read. Inflating stops at {@code limit} octets, and at {@code ratioLimit} octets
         * past {@link MessageBudget#RATIO_FLOOR} (recorded as a ratio budget exceeded).
         */
        private byte[] inflate(int data, int available, int method, int limit, long ratioLimit) {
            if (method == 0) {
                int n = Math.min(available, limit);
                spend.work.add(n);
                return java.util.Arrays.copyOfRange(b, data, data + n);
            }
            inflater.reset();
            inflater.setInput(b, data, available);
            int first = (int) Math.min(limit, Math.max(SNIFF, Math.min(available * 4L, 1 << 16)));
            byte[] buf = new byte[first];
            int n = 0;
            try {
                while (n < limit && !inflater.finished()) {
                    if (n == buf.length) {
                        buf =
                                java.util.Arrays.copyOf(
                                        buf, (int) Math.min(limit, Math.max(16L, 2L * n)));
                    }
                    int got = inflater.inflate(buf, n, buf.length - n);
                    if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                        break;
                    }
                    n += got;
                    if (n > MessageBudget.RATIO_FLOOR && n > ratioLimit) {
                        spend.exceed(MessageBudget.Kind.ARCHIVE_RATIO);
                        return null;
                    }
                }
            } catch (DataFormatException e) {
                malformed();
                if (n == 0) {
                    return null;
                }
            }
            spend.work.add(inflater.getBytesRead() + n);
            return n == buf.length ? buf : java.util.Arrays.copyOf(buf, n);
        }

        private void record(String name, String type) {
            out.add(new ParsedMessage.Attachment(name, type, archive));
        }

        private String name(int at, int len, int flags) {
            String s;
            if (Charsets.ascii(b, at, len)) {
                s = new String(b, at, len, StandardCharsets.ISO_8859_1);
            } else if ((flags & 0x800) != 0) {
                s = new String(b, at, len, StandardCharsets.UTF_8);
            } else {
                s = Charsets.guessOr(b, at, len, IBM437);
            }
            return MimeParser.capped(s.replace('\\', '/'), MAX_NAME);
        }

        private void malformed() {
            Transfer.add(spend.defects, "malformed archive");
        }
    }

    /** The type of an entry from its first octets; the name only tells zips and jars apart. */
    static String type(byte[] h, String name) {
        if (starts(h, 'M', 'Z')) {
            return "application/x-msdownload";
        }
        if (starts(h, 0x7f, 'E', 'L', 'F')) {
            return "application/x-executable";
        }
        if (starts(h, 'P', 'K', 3, 4) || starts(h, 'P', 'K', 5, 6)) {
            return name.toLowerCase(Locale.ROOT).endsWith(".jar")
                    ? "application/java-archive"
                    : "application/zip";
        }
        if (starts(h, '%', 'P', 'D', 'F')) {
            return "application/pdf";
        }
        if (starts(h, 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)) {
            return "application/x-ole-storage"; // legacy Office documents, MSI installers
        }
        if (starts(h, '{', '\\', 'r', 't', 'f')) {
            return "application/rtf";
        }
        if (starts(h, 'R', 'a', 'r', '!')) {
            return "application/x-rar-compressed";
        }
        if (starts(h, '7', 'z', 0xbc, 0xaf, 0x27, 0x1c)) {
            return "application/x-7z-compressed";
        }
        if (starts(h, 0x1f, 0x8b)) {
            return "application/gzip";
        }
        if (starts(h, '#', '!')) {
            return "text/x-shellscript";
        }
        if (starts(h, 'G', 'I', 'F', '8')) {
            return "image/gif";
        }
        if (starts(h, 0x89, 'P', 'N', 'G')) {
            return "image/png";
        }
        if (starts(h, 0xff, 0xd8, 0xff)) {
            return "image/jpeg";
        }
        return "application/octet-stream";
    }

    private static boolean starts(byte[] h, int... prefix) {
        if (h.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((h[i] & 0xff) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    static int u16(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8;
    }

    static int u32(byte[] b, int p) {
        return u16(b, p) | u16(b, p + 2) << 16;
    }

    /** A little-endian 64-bit value; negative (never a valid size) past 2^63. */
    static long u64(byte[] b, int p) {
        return (u32(b, p) & 0xffffffffL) | (long) u32(b, p + 4) << 32;
    }
}
