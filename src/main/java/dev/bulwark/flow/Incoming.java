package dev.bulwark.flow;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * The message of a transaction as it arrives, through DATA ({@link #read}) or BDAT chunks ({@link
 * #chunk}, then {@link #last()}), checked against the policy's limits while it is read (size, line
 * length, header size, bare CR or LF) and kept in memory up to a threshold, then in a temporary
 * file. The SMTP session feeds it from the socket, the gate from a file: the same checks either
 * way. Owned by the transaction; {@link FlowSession#data()} delivers it.
 */
public final class Incoming implements AutoCloseable {

    private final Spool spool;
    private final DataReader reader;
    private DataReader.Result result;

    Incoming(
            long maxSize,
            int maxLine,
            int maxHeader,
            Path spoolDirectory,
            long memoryThreshold,
            Occupancy.Claim claim) {
        this.spool = new Spool(spoolDirectory, memoryThreshold, claim);
        this.reader = new DataReader(maxSize, maxLine, maxHeader, spool);
    }

    /**
     * DATA: reads one dot-terminated message from {@code in} (which must support mark/reset, like
     * the session's buffered stream) and never reads past the end marker.
     *
     * @throws java.io.EOFException if the stream ends before the end marker
     */
    public void read(InputStream in) throws IOException {
        result = reader.read(in);
    }

    /** BDAT: reads one chunk of exactly {@code size} octets; no dot-stuffing, no end marker. */
    public void chunk(InputStream in, long size) throws IOException {
        reader.chunk(in, size);
    }

    /** BDAT LAST: the message is complete. */
    public void last() throws IOException {
        result = reader.finish();
    }

    /** Whether what has arrived is already over the size limit (refuse further chunks). */
    public boolean tooBig() {
        return reader.result().problem() == DataReader.Problem.TOO_BIG;
    }

    /** Whether the node's in-flight budget ran out while the message arrived (refuse with 451). */
    public boolean overBudget() {
        return spool.overBudget();
    }

    boolean complete() {
        return result != null;
    }

    DataReader.Result result() {
        return result;
    }

    Spool spool() {
        return spool;
    }

    @Override
    public void close() {
        spool.close();
    }
}
