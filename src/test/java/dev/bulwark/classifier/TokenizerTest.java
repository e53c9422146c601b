package dev.bulwark.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.check.mime.MimeParser;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

class TokenizerTest {

    /** The distinct tokens of a message written with LF line ends. */
    private static List<String> tokens(String text) {
        byte[] raw = CorpusMessage.asReceived(text.getBytes(StandardCharsets.UTF_8));
        Set<String> out = new LinkedHashSet<>();
        Tokenizer.tokens(
                raw,
                MimeParser.parse(raw),
                new Tokenizer.Sink() {
                    @Override
                    public void token(char[] chars, int length, long hash) {
                        String t = new String(chars, 0, length);
                        assertThat(hash).isEqualTo(TokenHashes.hash(t));
                        out.add(t);
                    }

                    @Override
                    public boolean full() {
                        return out.size() >= Tokenizer.MAX_TOKENS;
                    }
                });
        return new ArrayList<>(out);
    }

    @Test
    void bodyWordsAreLowerCasedTrimmedAndShortOnesDropped() {
        List<String> t =
                tokens(
                        """
                        From: a@example.org
                        Subject: hi

                        "Hello," said the (BIG) Dog... to me: FREE!! $100 a-b
                        """);
        assertThat(t).contains("hello", "said", "the", "big", "dog", "free!!", "$100");
        assertThat(t).doesNotContain("to", "me", "hello,", "dog...", "(big)");
        assertThat(t).contains("a-b");
    }

    @Test
    void longWordsBecomeSkipTokensAndUrlsAndAddressesAreNotWords() {
        List<String> t =
                tokens(
                        """
                        From: a@example.org
                        Subject: hi

                        supercalifragilisticexpialidocious see http://www.Example.COM/path?x=1
                        write to sales@Offers.example.net now
                        """);
        assertThat(t).contains("skip:s:30", "email:offers.example.net", "see", "write", "now");
        assertThat(t).contains("url:host:www.example.com", "url:domain:example.com", "urls:1");
        assertThat(t).noneMatch(s -> s.contains("http") || s.contains("path"));
    }

    @Test
    void subjectSenderAndMailerBecomePrefixedTokens() {
        List<String> t =
                tokens(
                        """
                        From: "Jane Q. Public" <jane123@Mail.Example.co.uk>
                        Reply-To: replies@elsewhere.example
                        To: undisclosed-recipients:;
                        Subject: URGENT BUSINESS PROPOSAL
                        X-Mailer: Microsoft Outlook Express 6.00.2600.0000
                        Message-ID: <x@y>
                        Date: Mon, 2 Sep 2002 10:00:00 +0000

                        text
                        """);
        assertThat(t)
                .contains(
                        "subject:urgent",
                        "subject:business",
                        "subject:proposal",
                        "subject:shouting",
                        "from:domain:mail.example.co.uk",
                        "from:tld:uk",
                        "from:name:jane",
                        "from:name:public",
                        "from:local-digits",
                        "reply-to:domain:elsewhere.example",
                        "reply-to:differs",
                        "to:undisclosed",
                        "mailer:microsoft",
                        "mailer:outlook",
                        "mailer:express",
                        "header:x-mailer",
                        "header:reply-to");
        assertThat(t).doesNotContain("missing:message-id", "missing:date", "missing:subject");
    }

    @Test
    void missingHeadersAndReceivingSideHeadersAreTreatedApart() {
        List<String> t =
                tokens(
                        """
                        Received: from relay.example by mx.example
                        Delivered-To: someone@example.com
                        X-Spam-Status: No
                        From: nobody
                        Content-Type: text/plain

                        text
                        """);
        assertThat(t)
                .contains(
                        "missing:message-id",
                        "missing:date",
                        "missing:to",
                        "missing:subject",
                        "from:no-domain",
                        "quirk:content-type-without-mime-version");
        assertThat(t).noneMatch(s -> s.contains("received") || s.contains("delivered"));
        assertThat(t).noneMatch(s -> s.contains("x-spam"));
    }

    @Test
    void mimeStructureCharsetsEncodingsAttachmentsAndDefectsAreTokens() {
        List<String> t =
                tokens(
                        """
                        From: a@example.org
                        Subject: =?gb2312?B?xOO6ww==?=
                        MIME-Version: 1.0
                        Content-Type: multipart/mixed;
                        \tboundary="b1"

                        --b1
                        Content-Type: text/html; charset="GB2312"
                        Content-Transfer-Encoding: quoted-printable

                        <p>hello <b>world</b></p>
                        --b1
                        Content-Type: application/octet-stream; name="Invoice 2002.pdf.exe"
                        Content-Transfer-Encoding: base64

                        AAAA
                        """);
        assertThat(t)
                .contains(
                        "subject:encoded",
                        "ct:multipart/mixed",
                        "ct:text/html",
                        "ct:application/octet-stream",
                        "charset:gb2312",
                        "cte:quoted-printable",
                        "cte:base64",
                        "shape:multipart/mixed,text/html,application/octet-stream",
                        "parts:2-3",
                        "attachments:1",
                        "att:type:application/octet-stream",
                        "att:ext:exe",
                        "att:name:invoice",
                        "att:name:2002.pdf",
                        "defect:missing closing boundary",
                        "hello",
                        "world");
    }

    @Test
    void tokensPerMessageAreCapped() {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 2 * Tokenizer.MAX_TOKENS; i++) {
            body.append("w").append(i).append("x ");
        }
        List<String> t = tokens("From: a@example.org\nSubject: s\n\n" + body + "\n");
        assertThat(t).hasSize(Tokenizer.MAX_TOKENS);
    }

    @Test
    void tokensAreCutAtTheMaximumLength() {
        String longDomain = "a".repeat(100) + ".example";
        List<String> t = tokens("From: x@" + longDomain + "\nSubject: s\n\nhi there\n");
        assertThat(t).anyMatch(s -> s.startsWith("from:domain:aaaa"));
        assertThat(t).allMatch(s -> s.length() <= Tokenizer.MAX_TOKEN);
    }

    @Test
    void sameMessageGivesTheSameTokensInTheSameOrder() {
        String m = "From: a@example.org\nSubject: Re: lunch\nContent-Type: text/plain\n\nsee you\n";
        assertThat(tokens(m)).isEqualTo(tokens(m));
        assertThat(Tokenizer.bucket(0)).isEqualTo("0");
        assertThat(Tokenizer.bucket(5)).isEqualTo("4-7");
        assertThat(Tokenizer.bucket(40)).isEqualTo("16+");
    }
}
