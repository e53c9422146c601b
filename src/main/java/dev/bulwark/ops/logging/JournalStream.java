package dev.bulwark.ops.logging;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A command's error stream: what a command prints there (a refused configuration, a usage error) is
 * an error, so in the journal each of its lines carries priority err and {@code journalctl -p err}
 * shows it; elsewhere the stream is passed through unchanged.
 */
public final class JournalStream {

    private JournalStream() {}

    /** {@code err} itself, or for the journal a stream prefixing each line with {@code <3>}. */
    public static PrintStream errors(PrintStream err) {
        return errors(err, LogFormat.forStandardError());
    }

    static PrintStream errors(PrintStream err, LogFormat format) {
        if (!format.journal()) {
            return err;
        }
        return new PrintStream(
                new LinePrefixing(err, "<" + LogFormat.ERR + ">"), true, StandardCharsets.UTF_8);
    }

    /** Writes {@code prefix} before the first byte of every line. */
    private static final class LinePrefixing extends OutputStream {
        private final PrintStream target;
        private final byte[] prefix;
        private boolean lineStart = true;

        LinePrefixing(PrintStream target, String prefix) {
            this.target = target;
            this.prefix = prefix.getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public void write(int b) {
            if (lineStart) {
                target.write(prefix, 0, prefix.length);
            }
            target.write(b);
            lineStart = b == '\n';
        }

        @Override
        public void flush() {
            target.flush();
        }
    }
}
