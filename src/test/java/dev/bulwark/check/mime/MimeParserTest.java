package dev.bulwark.check.mime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

class MimeParserTest {

    private static ParsedMessage parse(String text) {
        return MimeParser.parse(text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8));
    }

    private static ParsedMessage parseBytes(byte[] b) {
        return MimeParser.parse(b);
    }

    @Test
    void decodesQuotedPrintableInTheDeclaredCharset() {
        ParsedMessage m =
                parse(
                        """
                        Subject: x
                        Content-Type: text/plain; charset="ISO-8859-15"
                        Content-Transfer-Encoding: quoted-printable

                        Preis: 10 =A4, soft=
                         break
                        """);
        assertThat(m.text()).isEqualTo("Preis: 10 €, soft break\r\n");
        assertThat(m.defects()).isEmpty();
    }

    @Test
    void decodesBase64AndReportsGarbageInIt() {
        ParsedMessage ok = parse("Content-Transfer-Encoding: base64\n\nSGVsbG8g\nd29ybGQ=\n");
        assertThat(ok.text()).isEqualTo("Hello world");
        ParsedMessage bad = parse("Content-Transfer-Encoding: base64\n\nSGVs*bG8=\n");
        assertThat(bad.text()).isEqualTo("Hello");
        assertThat(bad.defects()).containsExactly("invalid base64");
    }

    @Test
    void guessesUtf8OrWindows1252WhenNoCharsetIsDeclared() {
        byte[] utf8 = "Subject: x\r\n\r\ngrüße\r\n".getBytes(StandardCharsets.UTF_8);
        assertThat(parseBytes(utf8).text()).isEqualTo("grüße\r\n");
        byte[] latin =
                "Subject: x\r\n\r\ngr\u00fc\u00dfe \u0093quoted\u0094\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1);
        assertThat(parseBytes(latin).text()).isEqualTo("grüße \u201cquoted\u201d\r\n");
    }

    @Test
    void stripsHtmlToTextAndCollectsLinkHosts() {
        ParsedMessage m =
                parse(
                        """
                        Content-Type: text/html; charset=utf-8

                        <html><head><style>p {color: red}</style><title>T</title></head>
                        <body><p>Caf&eacute; &amp; bar&nbsp;&#8364;5 &#x41;</p><!-- hidden -->
                        <a href="https://Shop.Example.COM./buy?x=1">shop</a><img src='//cdn.example.net/p.gif'>
                        <form action="http://198.51.100.9:8080/post"></form><a href="mailto:x@example.org">m</a>
                        <a href="http://user:pw@secure.bank.example@evil.example/">bank</a>
                        </body></html>
                        """);
        assertThat(m.text())
                .contains("& bar €5 A")
                .doesNotContain("color")
                .doesNotContain("hidden")
                .doesNotContain("<");
        assertThat(m.urlHosts())
                .containsExactly(
                        "shop.example.com", "cdn.example.net", "198.51.100.9", "evil.example");
    }

    @Test
    void findsUrlsInPlainTextIncludingBareWwwAndIdn() {
        ParsedMessage m =
                parse(
                        """
                        Content-Type: text/plain; charset=utf-8

                        See www.example.org/page, (https://bücher.example/x) and HTTP://[2001:db8::1]:80/ but not
                        mywww.example.com or ftp://files.example.
                        """);
        assertThat(m.urlHosts())
                .containsExactly("www.example.org", "xn--bcher-kva.example", "2001:db8::1");
    }

    @Test
    void readsAttachmentNamesFromRfc2231AndEncodedWords() {
        ParsedMessage m =
                parse(
                        """
                        Content-Type: multipart/mixed; boundary="outer"

                        preamble
                        --outer
                        Content-Type: text/plain

                        body text
                        --outer
                        Content-Type: application/octet-stream
                        Content-Disposition: attachment;
                         filename*0*=utf-8''%E2%82%AC%20report;
                         filename*1=".pdf.exe"

                        xx
                        --outer
                        Content-Type: application/pdf; name="=?ISO-8859-1?Q?r=E9sum=E9?= =?ISO-8859-1?Q?_2024.pdf?="

                        %PDF
                        --outer
                        Content-Type: image/png

                        png
                        --outer--
                        epilogue
                        """);
        assertThat(m.attachments())
                .extracting(ParsedMessage.Attachment::filename)
                .containsExactly("€ report.pdf.exe", "résumé 2024.pdf", "");
        assertThat(m.attachments())
                .extracting(ParsedMessage.Attachment::extension)
                .containsExactly("exe", "pdf", "");
        assertThat(m.attachments().get(2).contentType()).isEqualTo("image/png");
        assertThat(m.text()).isEqualTo("body text");
        assertThat(m.defects()).isEmpty();
    }

    @Test
    void descendsIntoNestedMultipartsAndAttachedMessages() {
        ParsedMessage m =
                parse(
                        """
                        Subject: =?utf-8?B?w5xiZXI=?= =?utf-8?B?IGFsbGVz?=
                        Content-Type: multipart/mixed; boundary=a

                        --a
                        Content-Type: multipart/alternative; boundary=b

                        --b
                        Content-Type: text/plain

                        plain version
                        --b
                        Content-Type: text/html

                        <p>html version</p>
                        --b--
                        --a
                        Content-Type: message/rfc822

                        Subject: inner
                        Content-Type: multipart/mixed; boundary=c

                        --c
                        Content-Type: text/plain

                        forwarded text
                        --c
                        Content-Type: application/x-msdownload; name=setup.exe

                        MZ
                        --c--
                        --a--
                        """);
        assertThat(m.subject()).isEqualTo("Über alles");
        assertThat(m.text()).contains("plain version", "html version", "forwarded text");
        assertThat(m.attachments())
                .extracting(ParsedMessage.Attachment::filename)
                .containsExactly("setup.exe");
        assertThat(m.defects()).isEmpty();
    }

    @Test
    void evaluatesMalformedMimeAsFarAsItParses() {
        ParsedMessage m =
                parse(
                        """
                        Subject: broken
                        this line has no colon
                        Content-Type: multipart/mixed; boundary=z
                        Content-Transfer-Encoding: x-unknown

                        --z
                        Content-Type: text/plain

                        first part survives
                        --z
                        Content-Type: text/plain; charset=no-such-charset
                        Content-Transfer-Encoding: quoted-printable

                        bad =ZZ escape
                        """);
        assertThat(m.subject()).isEqualTo("broken");
        assertThat(m.text()).contains("first part survives", "bad =ZZ escape");
        assertThat(m.defects())
                .containsExactly(
                        "header line without colon",
                        "invalid quoted-printable",
                        "missing closing boundary");
    }

    @Test
    void reportsMultipartWithoutBoundaryAndTooDeepNesting() {
        assertThat(parse("Content-Type: multipart/mixed\n\njust text\n").defects())
                .containsExactly("multipart without boundary");
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            deep.append("Content-Type: multipart/mixed; boundary=b")
                    .append(i)
                    .append("\n\n--b")
                    .append(i)
                    .append("\n");
        }
        deep.append("Content-Type: text/plain\n\ninnermost\n");
        assertThat(parse(deep.toString()).defects()).contains("budget exceeded: depth");
    }

    /** Octets this thread allocated while running {@code task}. */
    static long allocated(Runnable task) {
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean)
                        java.lang.management.ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        task.run();
        return mx.getCurrentThreadAllocatedBytes() - before;
    }

    @Test
    void parsesNestedAttachedMessagesWithoutCopyingThem() {
        byte[] message = HostileMessages.nestedMessages(20, 11 * 1024 * 1024);
        ParsedMessage[] parsed = new ParsedMessage[1];
        long bytes = allocated(() -> parsed[0] = MimeParser.parse(message));
        // Each level used to be copied out of its parent (20 copies of 11 MiB, all alive at once).
        assertThat(bytes).isLessThan(2L * message.length);
        // 20 levels is as deep as the parser goes: the innermost message is not descended into.
        assertThat(parsed[0].defects()).contains("budget exceeded: depth");

        byte[] shallower = HostileMessages.nestedMessages(10, 11 * 1024 * 1024);
        bytes = allocated(() -> parsed[0] = MimeParser.parse(shallower));
        assertThat(bytes).isLessThan(2L * shallower.length);
        assertThat(parsed[0].attachments())
                .extracting(ParsedMessage.Attachment::filename)
                .containsExactly("data.bin");
        assertThat(parsed[0].text()).contains("see the attachment");
    }

    @Test
    void neverThrowsOnArbitraryBytes() {
        Random random = new Random(42);
        String[] pieces = {
            "Content-Type: multipart/mixed; boundary=",
            "--",
            "\r\n",
            "\n",
            "=?utf-8?B?",
            "?=",
            "Content-Transfer-Encoding: base64\r\n",
            "quoted-printable",
            "=",
            "<a href=\"http://",
            "&#x",
            ";",
            "message/rfc822",
            "filename*0*=",
            "%",
            "'",
            "\"",
            ":",
            " ",
            "text/html"
        };
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder();
            int n = random.nextInt(60);
            for (int k = 0; k < n; k++) {
                sb.append(
                        random.nextBoolean()
                                ? pieces[random.nextInt(pieces.length)]
                                : (char) random.nextInt(256));
            }
            byte[] b = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
            ParsedMessage m = MimeParser.parse(b);
            assertThat(m).isNotNull();
        }
    }
}
