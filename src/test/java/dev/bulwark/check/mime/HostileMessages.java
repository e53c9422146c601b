package dev.bulwark.check.mime;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Messages built to hurt a MIME parser, as attackers send them (issue 11). */
final class HostileMessages {
    private HostileMessages() {}

    /**
     * {@code levels} attached messages, each inside the one before ({@code message/rfc822} in
     * {@code message/rfc822}), the innermost carrying a short text and a base64 attachment, the
     * whole about {@code size} octets. CRLF line ends, no line starting with a dot.
     */
    static byte[] nestedMessages(int levels, int size) {
        StringBuilder head = new StringBuilder();
        head.append("From: Mallory <mallory@example.net>\r\n")
                .append("To: bob@example.com\r\n")
                .append("Subject: Forwarded forwards\r\n")
                .append("Date: Thu, 3 Dec 2026 10:00:00 +0000\r\n")
                .append("Message-ID: <nested@example.net>\r\n")
                .append("MIME-Version: 1.0\r\n")
                .append("Content-Type: message/rfc822\r\n\r\n");
        for (int i = 1; i < levels; i++) {
            head.append("From: level")
                    .append(i)
                    .append("@example.net\r\nSubject: level ")
                    .append(i)
                    .append("\r\nContent-Type: message/rfc822\r\n\r\n");
        }
        head.append("From: innermost@example.net\r\n")
                .append("Subject: innermost\r\n")
                .append("Content-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n")
                .append("--inner\r\nContent-Type: text/plain\r\n\r\nsee the attachment\r\n")
                .append("--inner\r\nContent-Type: application/octet-stream; name=data.bin\r\n")
                .append("Content-Transfer-Encoding: base64\r\n\r\n");
        String tail = "--inner--\r\n";
        byte[] start = head.toString().getBytes(StandardCharsets.US_ASCII);
        int bodyLines = Math.max(1, (size - start.length - tail.length()) / 78);
        byte[] out = new byte[start.length + bodyLines * 78 + tail.length()];
        System.arraycopy(start, 0, out, 0, start.length);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        Random random = new Random(11);
        int at = start.length;
        for (int line = 0; line < bodyLines; line++) {
            for (int k = 0; k < 76; k++) {
                out[at++] = (byte) alphabet.charAt(random.nextInt(64));
            }
            out[at++] = '\r';
            out[at++] = '\n';
        }
        byte[] t = tail.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, out, at, t.length);
        return out;
    }
}
