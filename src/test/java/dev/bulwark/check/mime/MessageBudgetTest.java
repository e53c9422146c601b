package dev.bulwark.check.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

class MessageBudgetTest {

    private static byte[] bytes(String text) {
        return text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    private static ParsedMessage parse(String text, MessageBudget budget) {
        byte[] b = bytes(text);
        return MimeParser.parse(b, b.length, budget);
    }

    private static String parts(int n) {
        StringBuilder sb = new StringBuilder("Content-Type: multipart/mixed; boundary=b\n\n");
        for (int i = 0; i < n; i++) {
            sb.append("--b\nContent-Type: text/plain\n\npart ").append(i).append('\n');
        }
        return sb.append("--b--\n").toString();
    }

    @Test
    void defaultsFollowTheLargestMessage() {
        MessageBudget b = MessageBudget.forMaxMessageSize(25L * 1024 * 1024);
        assertThat(b).isEqualTo(MessageBudget.defaults());
        assertThat(b.bytes()).isEqualTo(25L * 1024 * 1024);
        assertThat(b.decoded()).isEqualTo(25L * 1024 * 1024);
        assertThat(b.parts()).isEqualTo(800);
        assertThat(b.depth()).isEqualTo(20);
        assertThat(b.text()).isEqualTo(4 * 1024 * 1024);
        assertThat(MessageBudget.forMaxMessageSize(1024).text()).isEqualTo(1024);
        assertThat(MessageBudget.forMaxMessageSize(1024).parts()).isEqualTo(256);
        assertThat(MessageBudget.forMaxMessageSize(1L << 40).bytes())
                .isEqualTo(MessageBudget.MAX_BYTES);
        assertThat(MessageBudget.defaults().heapBound()).isLessThan(90L * 1024 * 1024);
    }

    @Test
    void refusesBudgetsThatCannotBeMet() {
        assertThatThrownBy(() -> MessageBudget.defaults().withParts(0))
                .hasMessage("0 is not a valid parts budget: it must be positive");
        assertThatThrownBy(() -> MessageBudget.defaults().withBytes(1L << 40))
                .hasMessageStartingWith("1099511627776 is not a valid bytes budget");
        assertThatThrownBy(() -> MessageBudget.forMaxMessageSize(0))
                .hasMessage("0 is not a valid maximum message size: it must be positive");
    }

    @Test
    void stopsAtThePartsBudgetAndKeepsWhatItParsed() {
        ParsedMessage m = parse(parts(10), MessageBudget.defaults().withParts(4));
        assertThat(m.text()).contains("part 0", "part 2").doesNotContain("part 3");
        assertThat(m.budgetExceeded()).containsExactly(MessageBudget.Kind.PARTS);
        assertThat(m.exceeded(MessageBudget.Kind.PARTS)).isTrue();
        assertThat(m.defects()).containsExactly("budget exceeded: parts");
        assertThat(parse(parts(3), MessageBudget.defaults().withParts(4)).budgetExceeded())
                .isEmpty();
    }

    @Test
    void doesNotDescendPastTheDepthBudget() {
        String nested =
                """
                Content-Type: message/rfc822

                Subject: one
                Content-Type: message/rfc822

                Subject: two

                deep text
                """;
        assertThat(parse(nested, MessageBudget.defaults()).text()).contains("deep text");
        ParsedMessage m = parse(nested, MessageBudget.defaults().withDepth(1));
        assertThat(m.text()).isEmpty();
        assertThat(m.budgetExceeded()).containsExactly(MessageBudget.Kind.DEPTH);
    }

    @Test
    void decodesNoMoreThanTheDecodedBudget() {
        String message =
                """
                Content-Type: multipart/mixed; boundary=b

                --b
                Content-Transfer-Encoding: base64

                Zmlyc3QgcGFydCBkZWNvZGVk
                --b
                Content-Transfer-Encoding: base64

                c2Vjb25kIHBhcnQgZGVjb2RlZA==
                --b--
                """;
        ParsedMessage whole = parse(message, MessageBudget.defaults());
        assertThat(whole.text()).isEqualTo("first part decoded\n\nsecond part decoded");
        ParsedMessage m = parse(message, MessageBudget.defaults().withDecoded(24));
        assertThat(m.text()).isEqualTo("first part decoded\n\nsecond");
        assertThat(m.budgetExceeded()).containsExactly(MessageBudget.Kind.DECODED);
    }

    @Test
    void keepsTextUpToTheTextBudget() {
        ParsedMessage m = parse(parts(3), MessageBudget.defaults().withText(12));
        assertThat(m.text()).isEqualTo("part 0\n\npart");
        assertThat(m.budgetExceeded()).containsExactly(MessageBudget.Kind.TEXT);
    }

    @Test
    void parsesTheBytesBudgetOfALongerMessage() {
        byte[] b = bytes(parts(3));
        ParsedMessage m =
                MimeParser.parse(b, b.length, MessageBudget.defaults().withBytes(b.length - 20));
        assertThat(m.text()).contains("part 0", "part 1");
        assertThat(m.budgetExceeded()).containsExactly(MessageBudget.Kind.BYTES);
        assertThat(m.defects()).contains("budget exceeded: bytes");
    }

    @Test
    void keepsTheEndOfAnOverlongFileNameWhereTheExtensionIs() {
        String padded = "invoice" + " ".repeat(3_000_000) + ".pdf.exe";
        ParsedMessage m =
                parse(
                        "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                                + "Content-Type: application/octet-stream;\n name=\"x\"\n"
                                + "Content-Disposition: attachment;\n filename=\""
                                + padded
                                + "\"\n\nMZ\n--b--\n",
                        MessageBudget.defaults());
        String name = m.attachments().get(0).filename();
        assertThat(name)
                .hasSize(MimeParser.MAX_PARAMETER)
                .startsWith("invoice")
                .endsWith(".pdf.exe");
        assertThat(m.attachments().get(0).extension()).isEqualTo("exe");
    }

    @Test
    void aMultiMegabyteFoldedEncodedNameCostsLinearWork() {
        StringBuilder name = new StringBuilder();
        while (name.length() < 2_000_000) {
            name.append("\n =?utf-8?Q?ab");
        }
        byte[] b =
                bytes(
                        "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                                + "Content-Type: application/octet-stream; name=\""
                                + name
                                + ".exe\"\n\nMZ\n--b--\n");
        Work work = new Work();
        ParsedMessage m = MimeParser.parse(b, b.length, MessageBudget.defaults(), work);
        assertThat(m.attachments()).hasSize(1);
        assertThat(work.steps()).isLessThan(16L * b.length);
    }
}
