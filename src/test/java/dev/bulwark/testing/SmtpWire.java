package dev.bulwark.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A scripted SMTP client for conversation tests: {@code send("EHLO x")}, {@code expect("250 ")}.
 * Every read is bounded by a socket timeout, so a test never hangs.
 */
public final class SmtpWire implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public SmtpWire(int port) throws IOException {
        this("127.0.0.1", port);
    }

    public SmtpWire(String host, int port) throws IOException {
        this(host, port, null);
    }

    /**
     * Connects from the loopback address {@code local} (127.0.0.0/8 is all loopback), so one test
     * can play clients of several addresses and subnets.
     */
    public static SmtpWire from(String local, int port) throws IOException {
        SmtpWire w = connectFrom(local, port);
        w.expect("220 ");
        return w;
    }

    /** Connects from the loopback address {@code local} without reading the banner. */
    public static SmtpWire connectFrom(String local, int port) throws IOException {
        return new SmtpWire("127.0.0.1", port, local);
    }

    private SmtpWire(String host, int port, String local) throws IOException {
        socket = new Socket();
        if (local != null) {
            socket.bind(new InetSocketAddress(local, 0));
        }
        socket.connect(new InetSocketAddress(host, port), 5000);
        socket.setSoTimeout(15000);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Connects and reads the 220 banner. */
    public static SmtpWire open(int port) throws IOException {
        SmtpWire w = new SmtpWire(port);
        w.expect("220 ");
        return w;
    }

    public SmtpWire send(String line) throws IOException {
        return raw(line + "\r\n");
    }

    public SmtpWire raw(String text) throws IOException {
        return raw(text.getBytes(StandardCharsets.UTF_8));
    }

    public SmtpWire raw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /**
     * Reads one complete (possibly multi-line) reply and checks that its last line starts with
     * {@code prefix}.
     */
    public String expect(String prefix) throws IOException {
        String reply = reply();
        String last = reply.substring(reply.lastIndexOf('\n') + 1);
        assertThat(last).as("reply to the last command").startsWith(prefix);
        return reply;
    }

    /** Reads one complete reply; lines are joined with LF. */
    public String reply() throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = line();
            if (line == null) {
                throw new IOException("connection closed; reply so far: " + lines);
            }
            lines.add(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return String.join("\n", lines);
            }
        }
    }

    /** {@code true} if the server closed the connection (EOF) before sending anything else. */
    public boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
            }
            if (c == '\n') {
                String s = b.toString(StandardCharsets.UTF_8);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
    }

    /** EHLO, MAIL, RCPT for each recipient (each expected to be accepted), DATA. */
    public SmtpWire envelope(String from, String... to) throws IOException {
        send("EHLO client.example.org");
        expect("250 ");
        send("MAIL FROM:<" + from + ">");
        expect("250 ");
        for (String t : to) {
            send("RCPT TO:<" + t + ">");
            expect("250 ");
        }
        send("DATA");
        expect("354 ");
        return this;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
