package dev.bulwark.classifier;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The model file: a canonical binary form, so that one training result has one byte sequence.
 *
 * <pre>
 *   magic        4 bytes  "BWCM"
 *   format       u16      {@link #VERSION}
 *   features     u16      {@link #FEATURES}: the tokenizer and token hash the weights belong to
 *   algorithm    u8       1 robinson-fisher, 2 logistic
 *   reserved     u8       0
 *   ham, spam    u32 u32  training messages per class
 *   corpus       32 bytes SHA-256 of the corpus ({@link Corpus#digest})
 *   parameters   u16 n, then n f64 (robinson-fisher: x, s, minimum strength, maximum clues;
 *                logistic: bias)
 *   tokens       u32 n, then n i64 token hashes in ascending order, then n f32 values
 *                (robinson-fisher: the token's spam probability; logistic: its weight)
 *   checksum     32 bytes SHA-256 of everything before it
 * </pre>
 *
 * Big-endian throughout. Floating-point values are written as their IEEE 754 bits with negative
 * zero written as zero; NaN and infinities are never written.
 */
final class ModelFormat {
    private ModelFormat() {}

    static final int VERSION = 1;

    /** Bumped whenever any message's tokens or their hashes change. */
    static final int FEATURES = 1;

    private static final byte[] MAGIC = {'B', 'W', 'C', 'M'};

    /** A trained model's content, before it is written and after it is read. */
    record Data(
            Algorithm algorithm,
            int ham,
            int spam,
            byte[] corpusDigest,
            double[] parameters,
            long[] keys,
            float[] values) {}

    static byte[] write(Data d) {
        if (d.keys().length != d.values().length || d.corpusDigest().length != 32) {
            throw new IllegalArgumentException("inconsistent model data");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + d.keys().length * 12);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeShort(VERSION);
            out.writeShort(FEATURES);
            out.writeByte(d.algorithm().code());
            out.writeByte(0);
            out.writeInt(d.ham());
            out.writeInt(d.spam());
            out.write(d.corpusDigest());
            out.writeShort(d.parameters().length);
            for (double p : d.parameters()) {
                out.writeLong(Double.doubleToLongBits(canonical(p)));
            }
            out.writeInt(d.keys().length);
            long previous = Long.MIN_VALUE;
            for (int i = 0; i < d.keys().length; i++) {
                if (i > 0 && d.keys()[i] <= previous) {
                    throw new IllegalArgumentException("token hashes not in ascending order");
                }
                previous = d.keys()[i];
                out.writeLong(d.keys()[i]);
            }
            for (float v : d.values()) {
                out.writeInt(Float.floatToIntBits(canonical(v)));
            }
            out.flush();
            out.write(CorpusMessage.digest().digest(bytes.toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    static Data read(byte[] b) throws ModelFormatException {
        if (b.length < 4 || !Arrays.equals(b, 0, 4, MAGIC, 0, 4)) {
            throw new ModelFormatException("not a Bulwark classifier model (bad magic)");
        }
        if (b.length < 4 + 2 + 2 + 2 + 8 + 32 + 2 + 4 + 32) {
            throw new ModelFormatException("too short for a model (" + b.length + " bytes)");
        }
        MessageDigest sha = CorpusMessage.digest();
        sha.update(b, 0, b.length - 32);
        if (!Arrays.equals(sha.digest(), 0, 32, b, b.length - 32, b.length)) {
            throw new ModelFormatException("damaged model (checksum mismatch)");
        }
        ByteBuffer in = ByteBuffer.wrap(b, 0, b.length - 32);
        in.position(4);
        int version = Short.toUnsignedInt(in.getShort());
        if (version != VERSION) {
            throw new ModelFormatException(
                    "model format " + version + ", this version reads format " + VERSION);
        }
        int features = Short.toUnsignedInt(in.getShort());
        if (features != FEATURES) {
            throw new ModelFormatException(
                    "model built for features version "
                            + features
                            + ", this version extracts version "
                            + FEATURES
                            + ": train it again");
        }
        Algorithm algorithm = Algorithm.ofCode(in.get());
        if (algorithm == null || in.get() != 0) {
            throw new ModelFormatException("unknown algorithm");
        }
        int ham = in.getInt();
        int spam = in.getInt();
        byte[] corpus = new byte[32];
        in.get(corpus);
        int nParams = Short.toUnsignedInt(in.getShort());
        if (in.remaining() < nParams * 8 + 4) {
            throw new ModelFormatException("truncated parameters");
        }
        double[] params = new double[nParams];
        for (int i = 0; i < nParams; i++) {
            params[i] = in.getDouble();
            if (!Double.isFinite(params[i])) {
                throw new ModelFormatException("parameter " + i + " is not a finite number");
            }
        }
        int n = in.getInt();
        if (n < 0 || (long) n * 12 != in.remaining()) {
            throw new ModelFormatException("token table of " + n + " entries does not fit");
        }
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = in.getLong();
            if (i > 0 && keys[i] <= keys[i - 1]) {
                throw new ModelFormatException("token hashes not in ascending order");
            }
        }
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = in.getFloat();
            if (!Float.isFinite(values[i])) {
                throw new ModelFormatException("token value " + i + " is not a finite number");
            }
        }
        return new Data(algorithm, ham, spam, corpus, params, keys, values);
    }

    private static double canonical(double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("not a finite number: " + v);
        }
        return v == 0.0 ? 0.0 : v;
    }

    private static float canonical(float v) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException("not a finite number: " + v);
        }
        return v == 0.0f ? 0.0f : v;
    }
}
