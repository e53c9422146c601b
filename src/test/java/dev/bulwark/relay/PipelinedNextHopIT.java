package dev.bulwark.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bulwark.testing.RecordingNextHop;
import dev.bulwark.testing.RelayUnderTest;
import dev.bulwark.testing.SmtpSink;
import dev.bulwark.testing.SmtpWire;
import dev.bulwark.testing.TestFilter;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

/**
 * A next hop that offers PIPELINING (Postfix's smtp-sink): MAIL FROM goes out with the first RCPT,
 * a refused sender reaches the client at RCPT, and a pooled connection the next hop dropped while
 * idle is replaced without the client noticing.
 */
class PipelinedNextHopIT {

    private static String deliver(RelayUnderTest relay, String subject) throws Exception {
        try (SmtpWire c = SmtpWire.open(relay.port())) {
            c.envelope("alice@sender.example", "bob@example.com", "carol@example.com");
            c.raw("Subject: " + subject + "\r\n\r\n..leading dot\r\nbody\r\n.\r\n");
            return c.reply();
        }
    }

    @Test
    void relaysThroughAPipeliningNextHop() throws Exception {
        SmtpSink sink = SmtpSink.start();
        try (sink;
                RelayUnderTest relay =
                        new RelayUnderTest(TestFilter.relayingFor("example.com"), sink.port())) {
            assertThat(deliver(relay, "first")).startsWith("250 2.0.0");
            assertThat(deliver(relay, "second")).startsWith("250 2.0.0");
            assertThat(sink.messages())
                    .hasSize(2)
                    .allSatisfy(
                            m ->
                                    assertThat(m)
                                            .contains("X-Mail-Args: <alice@sender.example>")
                                            .contains("X-Rcpt-Args: <bob@example.com>")
                                            .contains("X-Rcpt-Args: <carol@example.com>")
                                            .contains("X-Bulwark: verdict=accept;")
                                            .contains(
                                                    "\n.leading dot\n")); // smtp-sink dumps with LF
            // line ends
        } finally {
            sink.deleteDumps();
        }
    }

    @Test
    void refusesAtRcptASenderTheNextHopRefuses() throws Exception {
        try (RecordingNextHop nextHop =
                        new RecordingNextHop()
                                .advertisePipelining()
                                .refuseSender(
                                        "alice@sender.example",
                                        "553 5.1.8 sender domain does not exist");
                RelayUnderTest relay =
                        new RelayUnderTest(TestFilter.relayingFor("example.com"), nextHop.port());
                SmtpWire c = SmtpWire.open(relay.port())) {
            c.send("EHLO client.example.org");
            c.expect("250 ");
            c.send("MAIL FROM:<alice@sender.example>");
            c.expect("250 2.1.0");
            c.send("RCPT TO:<bob@example.com>");
            assertThat(c.expect("553 5.1.8 ")).contains("Sender address rejected");
            c.send("RCPT TO:<carol@example.com>");
            c.expect("553 5.1.8 ");
            c.send("DATA");
            c.expect("554 5.5.1 ");
            // The next transaction on the same pooled connection starts clean.
            c.send("RSET");
            c.expect("250 ");
            c.send("MAIL FROM:<dave@sender.example>");
            c.expect("250 ");
            c.send("RCPT TO:<bob@example.com>");
            c.expect("250 ");
            c.send("DATA");
            c.expect("354 ");
            c.raw("Subject: ok\r\n\r\nhi\r\n.\r\n");
            c.expect("250 ");
            assertThat(nextHop.await(1, 5000))
                    .singleElement()
                    .satisfies(d -> assertThat(d.from()).isEqualTo("dave@sender.example"));
        }
    }

    @Test
    void replacesAPooledConnectionTheNextHopDroppedWhileIdle() throws Exception {
        SmtpSink sink = SmtpSink.start();
        Path dumps = sink.dumps();
        int port = sink.port();
        try (RelayUnderTest relay =
                new RelayUnderTest(TestFilter.relayingFor("example.com"), port)) {
            assertThat(deliver(relay, "before restart")).startsWith("250 2.0.0");
            sink.close(); // the idle pooled connection dies with it
            sink = SmtpSink.startOn(port, dumps);
            assertThat(deliver(relay, "after restart")).startsWith("250 2.0.0");
            assertThat(sink.messages()).hasSize(2);
        } finally {
            sink.close();
            sink.deleteDumps();
        }
    }
}
