package dev.bulwark.smtp.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReplyGuardTest {

    @Test
    void addsEnhancedCodesToTheLibrarysOwnErrorReplies() {
        assertThat(GuardedSocket.ReplyGuard.fix("500 Error: command not implemented\r\n"))
                .isEqualTo("500 5.5.1 Error: command not implemented\r\n");
        assertThat(GuardedSocket.ReplyGuard.fix("421 Timeout waiting for data from client.\r\n"))
                .startsWith("421 4.4.2 ");
        assertThat(GuardedSocket.ReplyGuard.fix("501 Syntax error at character position 4.\r\n"))
                .startsWith("501 5.5.2 ");
    }

    @Test
    void leavesRepliesThatHaveOneAndNonErrorsAlone() {
        assertThat(GuardedSocket.ReplyGuard.fix("550 5.7.1 Relaying denied\r\n"))
                .isEqualTo("550 5.7.1 Relaying denied\r\n");
        assertThat(GuardedSocket.ReplyGuard.fix("220 relay.test ESMTP Bulwark\r\n"))
                .isEqualTo("220 relay.test ESMTP Bulwark\r\n");
        assertThat(GuardedSocket.ReplyGuard.fix("250-PIPELINING\r\n"))
                .isEqualTo("250-PIPELINING\r\n");
    }
}
