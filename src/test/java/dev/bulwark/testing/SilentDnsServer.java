package dev.bulwark.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A DNS server that never answers: a real UDP socket on a loopback port that takes every query and
 * replies to none, as a resolver behind a dead link or a dropping firewall does. Queries to it can
 * only end by their timeout.
 */
public final class SilentDnsServer implements AutoCloseable {

    private final DatagramSocket socket;

    public SilentDnsServer() {
        try {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
    }

    @Override
    public void close() {
        socket.close();
    }
}
