package dev.bulwark.ops;

/**
 * Told when SMTP sessions start and end, for the connection metrics. Call order: {@link #opened()}
 * once when a connection has passed the gatekeeper and its session starts, then {@link #closed()}
 * exactly once when that session ends, however it ends. Connections refused before the banner are
 * counted from their audit records instead. Implementations are thread-safe, fast and never throw.
 */
public interface ConnectionListener {

    void opened();

    void closed();

    /** Ignores everything. */
    ConnectionListener NONE =
            new ConnectionListener() {
                @Override
                public void opened() {}

                @Override
                public void closed() {}
            };
}
