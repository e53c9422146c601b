package dev.bulwark.check.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.check.Message;
import dev.bulwark.check.mime.MessageBudget;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

class FactsTest {

    private static Facts facts(MessageBudget budget, String text) {
        RuleSet none =
                new RuleSet(
                        Map.of(),
                        RuleSet.Thresholds.none(),
                        new Action.TagSpec(java.util.List.of(), Optional.empty()),
                        Optional.empty());
        Facts f = new Facts(InetAddress.getLoopbackAddress(), none.literals(), budget);
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        f.message(
                new Message() {
                    public long size() {
                        return b.length;
                    }

                    public InputStream open() {
                        return new ByteArrayInputStream(b);
                    }
                });
        return f;
    }

    @Test
    void readsAndParsesAtMostTheBytesBudget() {
        String message = "Subject: big\r\n\r\n" + "x".repeat(1000) + "\r\nTAIL\r\n";
        Facts f = facts(MessageBudget.defaults().withBytes(100), message);
        assertThat(f.raw()).hasSize(100);
        assertThat(f.parsed().text()).doesNotContain("TAIL");
        assertThat(f.budgetExceeded()).containsExactly(MessageBudget.Kind.BYTES);
        assertThat(f.size()).isEqualTo(message.length());
    }

    @Test
    void aMessageWithinItsBudgetIsReadWhole() {
        String message = "Subject: small\r\n\r\nhello\r\n";
        Facts f = facts(MessageBudget.defaults(), message);
        assertThat(f.raw()).hasSize(message.length());
        assertThat(f.budgetExceeded()).isEmpty();
        assertThat(f.budget()).isEqualTo(MessageBudget.defaults());
    }
}
