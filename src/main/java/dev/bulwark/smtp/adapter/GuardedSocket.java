package dev.bulwark.smtp.adapter;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/**
 * A client socket whose output adds an enhanced status code to the few error replies the server
 * library writes on its own (unknown command, bad line ending in a command, over-long line, read
 * timeout, PROXY failure), so every reply a client gets carries one, as ENHANCEDSTATUSCODES
 * promises. Replies Bulwark writes already have one and pass through unchanged.
 */
final class GuardedSocket extends Socket {

    private final Socket inner;
    private final Socket raw;
    private final ReplyGuard out;

    GuardedSocket(Socket inner) throws IOException {
        this(inner, inner);
    }

    /** Guards {@code inner} (a TLS socket) layered over the TCP socket {@code raw}. */
    GuardedSocket(Socket inner, Socket raw) throws IOException {
        this.inner = inner;
        this.raw = raw;
        this.out = new ReplyGuard(inner.getOutputStream());
    }

    /** The socket underneath, for layering TLS on the raw bytes. */
    Socket inner() {
        return inner;
    }

    /** The TCP socket under any TLS layer: closing it stops a blocked read, write or handshake. */
    Socket raw() {
        return raw;
    }

    /**
     * Calls {@code listener} after each error reply the library wrote on its own (one that lacked
     * an enhanced code), once it has been sent: the session counts them.
     */
    void onLibraryError(Runnable listener) {
        out.listener = listener;
    }

    Runnable libraryErrorListener() {
        return out.listener;
    }

    /** A server socket whose accepted connections are guarded and have TCP_NODELAY set. */
    static ServerSocket serverSocket() throws IOException {
        return new ServerSocket() {
            @Override
            public Socket accept() throws IOException {
                Socket s = super.accept();
                try {
                    s.setTcpNoDelay(true);
                    return new GuardedSocket(s);
                } catch (IOException e) {
                    s.close();
                    throw e;
                }
            }
        };
    }

    @Override
    public InputStream getInputStream() throws IOException {
        return inner.getInputStream();
    }

    @Override
    public OutputStream getOutputStream() {
        return out;
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        inner.setSoTimeout(timeout);
    }

    @Override
    public int getSoTimeout() throws SocketException {
        return inner.getSoTimeout();
    }

    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
        inner.setTcpNoDelay(on);
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return inner.getRemoteSocketAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return inner.getLocalSocketAddress();
    }

    @Override
    public InetAddress getInetAddress() {
        return inner.getInetAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        return inner.getLocalAddress();
    }

    @Override
    public int getPort() {
        return inner.getPort();
    }

    @Override
    public int getLocalPort() {
        return inner.getLocalPort();
    }

    @Override
    public boolean isBound() {
        return inner.isBound();
    }

    @Override
    public boolean isConnected() {
        return inner.isConnected();
    }

    @Override
    public boolean isClosed() {
        return inner.isClosed();
    }

    @Override
    public void shutdownInput() throws IOException {
        inner.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
        inner.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }

    @Override
    public String toString() {
        return inner.toString();
    }

    /** Rewrites complete error reply lines that lack an enhanced status code. */
    static final class ReplyGuard extends FilterOutputStream {

        private byte[] pending = new byte[1024];
        private int length;
        private int lineStart;
        private int libraryErrors;
        volatile Runnable listener = () -> {};

        ReplyGuard(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            append((byte) b);
            if (b == '\n') {
                endLine();
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int i = off; i < off + len; i++) {
                append(b[i]);
                if (b[i] == '\n') {
                    endLine();
                }
            }
        }

        private void append(byte b) {
            if (length == pending.length) {
                pending = java.util.Arrays.copyOf(pending, pending.length * 2);
            }
            pending[length++] = b;
        }

        /** Only 4xx/5xx lines are looked at; Bulwark's own replies already carry enhanced codes. */
        private void endLine() {
            byte first = pending[lineStart];
            if (first == '4' || first == '5') {
                String line =
                        new String(pending, lineStart, length - lineStart, StandardCharsets.UTF_8);
                String fixed = fix(line);
                if (!fixed.equals(line)) {
                    libraryErrors++;
                    byte[] bytes = fixed.getBytes(StandardCharsets.UTF_8);
                    length = lineStart;
                    for (byte x : bytes) {
                        append(x);
                    }
                }
            }
            lineStart = length;
        }

        /** One write per reply, however many lines it has: one TCP segment with TCP_NODELAY. */
        @Override
        public void flush() throws IOException {
            if (length > 0) {
                out.write(pending, 0, lineStart);
                int rest = length - lineStart;
                System.arraycopy(pending, lineStart, pending, 0, rest);
                length = rest;
                lineStart = 0;
            }
            out.flush();
            // After the write, and with the count cleared first: the listener may reply itself.
            while (libraryErrors > 0) {
                libraryErrors--;
                listener.run();
            }
        }

        /**
         * Adds an enhanced code to a library-made error reply such as {@code 500 Error: bad
         * syntax}.
         */
        static String fix(String reply) {
            if (reply.length() < 5
                    || (reply.charAt(0) != '4' && reply.charAt(0) != '5')
                    || !Character.isDigit(reply.charAt(1))
                    || !Character.isDigit(reply.charAt(2))
                    || (reply.charAt(3) != ' ' && reply.charAt(3) != '-')) {
                return reply;
            }
            String rest = reply.substring(4);
            if (rest.length() > 5 && rest.charAt(0) == reply.charAt(0) && rest.charAt(1) == '.') {
                return reply; // already has one
            }
            int code = Integer.parseInt(reply.substring(0, 3));
            String enhanced =
                    switch (code) {
                        case 421 ->
                                rest.toLowerCase(java.util.Locale.ROOT).contains("timeout")
                                        ? "4.4.2"
                                        : "4.3.0";
                        case 500 -> rest.contains("not implemented") ? "5.5.1" : "5.5.2";
                        case 501 -> "5.5.2";
                        case 502, 503 -> "5.5.1";
                        case 504 -> "5.5.4";
                        default -> reply.charAt(0) + ".0.0";
                    };
            return reply.substring(0, 4) + enhanced + " " + rest;
        }
    }
}
