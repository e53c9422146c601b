package dev.bulwark.classifier;

import dev.bulwark.check.mime.ParsedMessage;

import java.util.Arrays;

/**
 * The distinct tokens of one message as 64-bit hashes, in the order first seen: what training and
 * scoring work on. A token's hash is FNV-1a over its UTF-16 chars (a char a step), finished with
 * MurmurHash3's 64-bit mix; it is part of the model format ({@link ModelFormat#FEATURES}). Two
 * tokens with one hash would share a weight; with 64 bits and a vocabulary of millions that does
 * not happen in practice.
 */
final class TokenHashes implements Tokenizer.Sink {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    // Grown as needed: most messages have a few hundred tokens, and zeroing a table sized for
    // the cap on every message would cost more than the hashing.
    private long[] table = new long[1024];
    private long[] order = new long[256];
    private int size;

    private TokenHashes() {}

    /** The distinct token hashes of a message. */
    static long[] of(byte[] raw, ParsedMessage parsed) {
        TokenHashes h = new TokenHashes();
        Tokenizer.tokens(raw, parsed, h);
        return Arrays.copyOf(h.order, h.size);
    }

    static long hash(char[] chars, int length) {
        long h = FNV_OFFSET;
        for (int i = 0; i < length; i++) {
            h = step(h, chars[i]);
        }
        return mix(h);
    }

    /** One char into the hash: FNV-1a over 16-bit units (the mix below makes up for it). */
    static long step(long h, char c) {
        return (h ^ c) * FNV_PRIME;
    }

    static long start() {
        return FNV_OFFSET;
    }

    static long hash(String token) {
        return hash(token.toCharArray(), token.length());
    }

    /** MurmurHash3's fmix64: spreads FNV's weak low bits before they index a table. */
    static long mix(long k) {
        long h = k;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h == 0 ? 1 : h; // 0 marks a free slot
    }

    @Override
    public void token(char[] chars, int length, long h) {
        int mask = table.length - 1;
        int i = (int) h & mask;
        while (true) {
            long k = table[i];
            if (k == 0) {
                break;
            }
            if (k == h) {
                return;
            }
            i = (i + 1) & mask;
        }
        table[i] = h;
        if (size == order.length) {
            order = Arrays.copyOf(order, size * 2);
        }
        order[size++] = h;
        if (2 * size > table.length) {
            rehash();
        }
    }

    private void rehash() {
        long[] bigger = new long[table.length * 2];
        int mask = bigger.length - 1;
        for (int n = 0; n < size; n++) {
            long h = order[n];
            int i = (int) h & mask;
            while (bigger[i] != 0) {
                i = (i + 1) & mask;
            }
            bigger[i] = h;
        }
        table = bigger;
    }

    @Override
    public boolean full() {
        return size >= Tokenizer.MAX_TOKENS;
    }
}
