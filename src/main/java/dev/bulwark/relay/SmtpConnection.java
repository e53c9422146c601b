package dev.bulwark.relay;

import dev.bulwark.flow.NextHopReply;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * One client connection to the next hop. Not thread-safe: it belongs to one transaction at a time.
 * Commands are written to a buffer and flushed once per command; message data is flushed once after
 * the final dot, with TCP_NODELAY, so Nagle and delayed ACK never add a round trip.
 */
final class SmtpConnection implements Closeable {

    private static final int MAX_REPLY_LINES = 100;
    private static final int MAX_REPLY_LINE = 4096;

    private final NextHopConfig config;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final Set<String> extensions = new HashSet<>();
    private boolean tls;
    private long idleSince;

    private SmtpConnection(NextHopConfig config) {
        this.config = config;
    }

    /**
     * Connects, reads the banner, says EHLO and starts TLS as configured.
     *
     * @throws NextHopException if the next hop answered but refused the session
     * @throws IOException if it could not be reached or broke the connection
     */
    static SmtpConnection open(NextHopConfig config) throws IOException {
        SmtpConnection c = new SmtpConnection(config);
        try {
            c.connect();
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void connect() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(
                new InetSocketAddress(config.host(), config.port()),
                millis(config.connectTimeout()));
        attach(s);
        NextHopReply banner = readReply(config.connectTimeout());
        if (banner.code() != 220) {
            throw new NextHopException("banner", banner);
        }
        ehlo();
        if (config.tls() != TlsMode.NONE) {
            if (extensions.contains("STARTTLS")) {
                startTls();
            } else if (config.tls() == TlsMode.REQUIRED) {
                throw new NextHopException(
                        "STARTTLS",
                        NextHopReply.failure(
                                "4.7.5",
                                "next hop does not offer STARTTLS but next-hop.tls is required"));
            }
        }
    }

    private void attach(Socket s) throws IOException {
        this.socket = s;
        this.in = new BufferedInputStream(s.getInputStream(), 8192);
        this.out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
    }

    private void ehlo() throws IOException {
        NextHopReply reply = command("EHLO " + config.heloName(), config.commandTimeout());
        extensions.clear();
        if (reply.code() != 250) {
            reply = command("HELO " + config.heloName(), config.commandTimeout());
            if (reply.code() != 250) {
                throw new NextHopException("HELO", reply);
            }
            return;
        }
        for (int i = 1; i < reply.lines().size(); i++) {
            String line = reply.lines().get(i).trim();
            int sp = line.indexOf(' ');
            extensions.add((sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT));
        }
    }

    private void startTls() throws IOException {
        NextHopReply reply = command("STARTTLS", config.commandTimeout());
        if (reply.code() != 220) {
            if (config.tls() == TlsMode.REQUIRED) {
                throw new NextHopException("STARTTLS", reply);
            }
            return;
        }
        SSLContext context = tlsContext();
        SSLSocket ssl =
                (SSLSocket)
                        context.getSocketFactory()
                                .createSocket(socket, config.host(), config.port(), true);
        SSLParameters params = ssl.getSSLParameters();
        params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        if (config.tls() == TlsMode.REQUIRED) {
            params.setEndpointIdentificationAlgorithm("HTTPS");
        }
        ssl.setSSLParameters(params);
        ssl.setUseClientMode(true);
        ssl.setSoTimeout(millis(config.commandTimeout()));
        ssl.startHandshake();
        attach(ssl);
        tls = true;
        ehlo();
    }

    private SSLContext tlsContext() throws IOException {
        try {
            if (config.tls() == TlsMode.REQUIRED) {
                return config.trust().isPresent() ? config.trust().get() : SSLContext.getDefault();
            }
            // Opportunistic TLS protects against passive eavesdropping only; like Postfix's "may"
            // level
            // it does not authenticate the peer, so an unverifiable certificate must not stop
            // delivery.
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new AcceptAnyCertificate()}, new SecureRandom());
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot set up TLS to the next hop: " + e.getMessage(), e);
        }
    }

    boolean supports(String extension) {
        return extensions.contains(extension);
    }

    boolean isTls() {
        return tls;
    }

    /** Sends one command and reads its reply. */
    NextHopReply command(String line, Duration timeout) throws IOException {
        out.write(line.getBytes(StandardCharsets.UTF_8));
        out.write('\r');
        out.write('\n');
        out.flush();
        return readReply(timeout);
    }

    /** Sends two commands in one write (PIPELINING) and reads both replies, in order. */
    NextHopReply[] pipeline(String first, String second, Duration timeout) throws IOException {
        out.write((first + "\r\n" + second + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return new NextHopReply[] {readReply(timeout), readReply(timeout)};
    }

    /**
     * The stream to write message data to after a 354; the caller dot-stuffs and ends with
     * CRLF.CRLF.
     */
    OutputStream data() {
        return out;
    }

    /** Reads one (possibly multi-line) reply. */
    NextHopReply readReply(Duration timeout) throws IOException {
        socket.setSoTimeout(millis(timeout));
        List<String> texts = new ArrayList<>();
        int code = -1;
        while (true) {
            String line = readLine();
            if (line.length() < 3
                    || !Character.isDigit(line.charAt(0))
                    || !Character.isDigit(line.charAt(1))
                    || !Character.isDigit(line.charAt(2))) {
                throw new IOException("malformed reply from next hop: " + abbreviate(line));
            }
            int lineCode = Integer.parseInt(line.substring(0, 3));
            if (code >= 0 && lineCode != code) {
                throw new IOException("inconsistent codes in multi-line reply from next hop");
            }
            code = lineCode;
            boolean more = line.length() > 3 && line.charAt(3) == '-';
            texts.add(line.length() > 4 ? line.substring(4) : "");
            if (!more) {
                return NextHopReply.parse(code, texts);
            }
            if (texts.size() >= MAX_REPLY_LINES) {
                throw new IOException(
                        "reply from next hop has more than " + MAX_REPLY_LINES + " lines");
            }
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("next hop closed the connection");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int len =
                        bytes.length > 0 && bytes[bytes.length - 1] == '\r'
                                ? bytes.length - 1
                                : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.UTF_8);
            }
            if (line.size() >= MAX_REPLY_LINE) {
                throw new IOException(
                        "reply line from next hop longer than " + MAX_REPLY_LINE + " octets");
            }
            line.write(b);
        }
    }

    void markIdle(long nanoTime) {
        idleSince = nanoTime;
    }

    long idleSince() {
        return idleSince;
    }

    boolean isOpen() {
        return socket != null && !socket.isClosed();
    }

    /** Ends the session politely (QUIT) when possible, then closes. */
    void quit() {
        try {
            if (isOpen()) {
                command("QUIT", Duration.ofSeconds(2));
            }
        } catch (IOException ignored) {
            // The connection is going away either way.
        }
        close();
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Nothing useful to do: the socket is gone.
            }
        }
    }

    private static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    private static final class AcceptAnyCertificate implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
