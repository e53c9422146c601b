package dev.bulwark.smtp.adapter;

import dev.bulwark.site.Cidr;

import org.subethamail.smtp.internal.proxy.ProxyHandler;
import org.subethamail.smtp.server.Session;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * PROXY protocol v1 and v2 (HAProxy's), honoured only on connections from trusted balancers: there
 * the header is required; from anyone else it is not looked for, so a client cannot forge its
 * address. Reads exactly the header's bytes and nothing after it.
 */
final class ProxyProtocol implements ProxyHandler {

    private static final byte[] V2_SIGNATURE = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
    };
    private static final int V1_MAX = 107;

    private final List<Cidr> trusted;

    ProxyProtocol(List<Cidr> trusted) {
        this.trusted = List.copyOf(trusted);
    }

    boolean isTrusted(InetAddress address) {
        for (Cidr c : trusted) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public ProxyResult handle(InputStream in, OutputStream out, Session session)
            throws IOException {
        InetSocketAddress real = session.getRealRemoteAddress();
        if (!isTrusted(real.getAddress())) {
            return ProxyResult.NOP;
        }
        try {
            InetSocketAddress original = read(in);
            return original == null ? ProxyResult.NOP : new ProxyResult(original);
        } catch (MalformedHeader e) {
            return new ProxyResult(421, "4.7.0 PROXY protocol header missing or malformed");
        }
    }

    /**
     * The original client address, or {@code null} for a LOCAL/UNKNOWN header (balancer's own
     * check).
     */
    static InetSocketAddress read(InputStream in) throws IOException {
        int first = readByte(in);
        if (first == 'P') {
            return readV1(in);
        }
        if (first == V2_SIGNATURE[0]) {
            return readV2(in);
        }
        throw new MalformedHeader("no PROXY header");
    }

    private static InetSocketAddress readV1(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder("P");
        while (true) {
            int b = readByte(in);
            if (b == '\n') {
                break;
            }
            line.append((char) b);
            if (line.length() > V1_MAX) {
                throw new MalformedHeader("PROXY v1 header too long");
            }
        }
        if (line.charAt(line.length() - 1) != '\r') {
            throw new MalformedHeader("PROXY v1 header not ended by CRLF");
        }
        String[] parts = line.substring(0, line.length() - 1).split(" ");
        if (!parts[0].equals("PROXY") || parts.length < 2) {
            throw new MalformedHeader("not a PROXY v1 header");
        }
        if (parts[1].equals("UNKNOWN")) {
            return null;
        }
        if (parts.length != 6 || !(parts[1].equals("TCP4") || parts[1].equals("TCP6"))) {
            throw new MalformedHeader("malformed PROXY v1 header");
        }
        InetAddress source = literal(parts[2], parts[1].equals("TCP4") ? 4 : 16);
        return new InetSocketAddress(source, port(parts[4]));
    }

    private static InetSocketAddress readV2(InputStream in) throws IOException {
        for (int i = 1; i < V2_SIGNATURE.length; i++) {
            if (readByte(in) != (V2_SIGNATURE[i] & 0xff)) {
                throw new MalformedHeader("bad PROXY v2 signature");
            }
        }
        int versionCommand = readByte(in);
        int familyProtocol = readByte(in);
        int length = (readByte(in) << 8) | readByte(in);
        byte[] body = in.readNBytes(length);
        if (body.length != length) {
            throw new EOFException("connection closed inside PROXY v2 header");
        }
        if ((versionCommand >> 4) != 2) {
            throw new MalformedHeader("unsupported PROXY version");
        }
        int command = versionCommand & 0x0f;
        if (command == 0) {
            return null; // LOCAL: the balancer's own connection, e.g. a health check
        }
        if (command != 1) {
            throw new MalformedHeader("unsupported PROXY v2 command");
        }
        int family = familyProtocol >> 4;
        int addressLength = family == 1 ? 4 : family == 2 ? 16 : -1;
        if (addressLength < 0) {
            return null; // UNSPEC or UNIX: no IP to take
        }
        if (length < addressLength * 2 + 4) {
            throw new MalformedHeader("PROXY v2 address block too short");
        }
        byte[] source = java.util.Arrays.copyOfRange(body, 0, addressLength);
        int sourcePort =
                ((body[addressLength * 2] & 0xff) << 8) | (body[addressLength * 2 + 1] & 0xff);
        return new InetSocketAddress(InetAddress.getByAddress(source), sourcePort);
    }

    private static InetAddress literal(String text, int length) throws IOException {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
                throw new MalformedHeader("bad address in PROXY header");
            }
        }
        InetAddress a;
        try {
            a = InetAddress.getByName(text);
        } catch (java.net.UnknownHostException e) {
            throw new MalformedHeader("bad address in PROXY header");
        }
        if (a.getAddress().length != length && !(length == 16 && a.getAddress().length == 4)) {
            throw new MalformedHeader("address family mismatch in PROXY header");
        }
        return a;
    }

    private static int port(String text) throws MalformedHeader {
        try {
            int p = Integer.parseInt(text);
            if (p < 0 || p > 65535) {
                throw new MalformedHeader("bad port in PROXY header");
            }
            return p;
        } catch (NumberFormatException e) {
            throw new MalformedHeader("bad port in PROXY header");
        }
    }

    private static int readByte(InputStream in) throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("connection closed inside PROXY header");
        }
        return b;
    }

    static final class MalformedHeader extends IOException {
        private static final long serialVersionUID = 1L;

        MalformedHeader(String message) {
            super(message);
        }
    }
}
