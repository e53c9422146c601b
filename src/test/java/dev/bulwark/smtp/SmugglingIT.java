package dev.bulwark.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.audit.AuditVerdict;
import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.RelayUnderTest;
import dev.bulwark.testing.SmtpWire;
import dev.bulwark.testing.TestFilter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

/**
 * SMTP smuggling (SEC Consult, 2023): a fake end-of-data made of bare CR or LF must neither end the
 * message nor let the rest of the data run as commands. Only {@code <CRLF>.<CRLF>} ends DATA, and a
 * message containing a bare line ending is refused whole.
 */
class SmugglingIT {

    private RecordingNextHop nextHop;
    private RelayUnderTest relay;

    @BeforeEach
    void start() {
        nextHop = new RecordingNextHop();
        relay = new RelayUnderTest(TestFilter.relayingFor("example.com"), nextHop.port());
    }

    @AfterEach
    void stop() {
        relay.close();
        nextHop.close();
    }

    static Stream<Arguments> fakeEnds() {
        String smuggled =
                "MAIL FROM:<admin@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n"
                        + "From: admin@example.com\r\nSubject: smuggled\r\n\r\nsmuggled body\r\n";
        return Stream.of("\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r")
                .flatMap(
                        end ->
                                Stream.of(
                                        Arguments.of(printable(end), end, ""),
                                        Arguments.of(
                                                printable(end) + " + commands", end, smuggled)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fakeEnds")
    void refusesFakeEndOfDataWithNothingExtraDelivered(
            String name, String fakeEnd, String pipelined) throws Exception {
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.envelope("alice@sender.example", "bob@example.com");
            c.raw(
                    "Subject: innocent\r\n\r\nfirst part"
                            + fakeEnd
                            + pipelined
                            + "tail of the real message\r\n.\r\n");
            c.expect("550 5.6.0 ");
            // The session is still in step: the next command gets the next reply.
            c.send("NOOP");
            c.expect("250 2.0.0");
            c.send("QUIT");
            c.expect("221 ");
        }
        assertThat(nextHop.deliveries()).isEmpty();
        assertThat(relay.audit())
                .singleElement()
                .satisfies(
                        a -> {
                            assertThat(a.verdict()).isEqualTo(AuditVerdict.REJECT);
                            assertThat(a.rules()).contains("protocol:bare-line-ending");
                        });
    }

    private static String printable(String s) {
        return s.replace("\r", "<CR>").replace("\n", "<LF>");
    }
}
