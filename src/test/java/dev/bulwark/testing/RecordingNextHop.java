package dev.bulwark.testing;

import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.server.SMTPServer;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A real SMTP server (SubEthaSMTP) standing in as the next hop when a test needs exact bytes or a
 * next hop that refuses: it records each message's envelope and raw data, and refuses the
 * recipients or messages it is told to.
 */
public final class RecordingNextHop implements AutoCloseable {

    /** One delivered message. */
    public record Delivery(String from, List<String> recipients, byte[] data) {
        public String text() {
            return new String(data, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private final SMTPServer server;
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    private final Map<String, String> refusedRecipients = new ConcurrentHashMap<>();
    private final Map<String, String> refusedSenders = new ConcurrentHashMap<>();
    private volatile String dataRefusal;
    private volatile int dropAfterBytes = -1;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();

    public RecordingNextHop() {
        server =
                SMTPServer.port(0)
                        .bindAddress(java.net.InetAddress.getLoopbackAddress())
                        .hostName("nexthop.internal.example")
                        .insertReceivedHeaders(false)
                        .messageHandlerFactory(this::handler)
                        .build();
        server.start();
    }

    public int port() {
        return server.getPortAllocated();
    }

    /** MAIL FROM this address gets {@code reply}. */
    public RecordingNextHop refuseSender(String address, String reply) {
        refusedSenders.put(address.toLowerCase(java.util.Locale.ROOT), reply);
        return this;
    }

    /**
     * Advertises PIPELINING in its EHLO reply (the server library reads pipelined commands in order
     * but does not say so by itself), so the relay sends MAIL together with the first RCPT.
     */
    public RecordingNextHop advertisePipelining() {
        server.getCommandHandler()
                .addCommand(
                        new org.subethamail.smtp.internal.server.Command() {
                            @Override
                            public void execute(
                                    String line, org.subethamail.smtp.server.Session session)
                                    throws IOException {
                                session.resetMailTransaction();
                                session.setHelo(line.substring(4).trim());
                                session.sendResponse(
                                        "250-nexthop.internal.example\r\n"
                                                + "250-PIPELINING\r\n"
                                                + "250 8BITMIME");
                            }

                            @Override
                            public org.subethamail.smtp.internal.server.HelpMessage getHelp() {
                                return new org.subethamail.smtp.internal.server.HelpMessage(
                                        "EHLO", "");
                            }

                            @Override
                            public String getName() {
                                return "EHLO";
                            }
                        });
        return this;
    }

    /** RCPT for this address gets {@code reply} (such as {@code "550 5.1.1 No such user here"}). */
    public RecordingNextHop refuseRecipient(String address, String reply) {
        refusedRecipients.put(address.toLowerCase(java.util.Locale.ROOT), reply);
        return this;
    }

    /** The end of DATA gets {@code reply}. */
    public RecordingNextHop refuseData(String reply) {
        dataRefusal = reply;
        return this;
    }

    /**
     * The next hop reads this many octets of message data, then drops the connection without a
     * reply.
     */
    public RecordingNextHop dieDuringData(int afterBytes) {
        dropAfterBytes = afterBytes;
        return this;
    }

    public List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    /** Waits (bounded) until at least {@code count} messages arrived; returns them. */
    public List<Delivery> await(int count, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (deliveries.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                arrived.awaitNanos(left);
            }
            return List.copyOf(deliveries);
        } finally {
            lock.unlock();
        }
    }

    private MessageHandler handler(MessageContext context) {
        return new MessageHandler() {
            private String from;
            private final List<String> recipients = new ArrayList<>();

            @Override
            public void from(String address) throws RejectException {
                String refusal = refusedSenders.get(address.toLowerCase(java.util.Locale.ROOT));
                if (refusal != null) {
                    throw new RejectException(
                            Integer.parseInt(refusal.substring(0, 3)), refusal.substring(4));
                }
                from = address;
            }

            @Override
            public void recipient(String recipient) throws RejectException {
                String refusal =
                        refusedRecipients.get(recipient.toLowerCase(java.util.Locale.ROOT));
                if (refusal != null) {
                    throw new RejectException(
                            Integer.parseInt(refusal.substring(0, 3)), refusal.substring(4));
                }
                recipients.add(recipient);
            }

            @Override
            public String data(InputStream data) throws IOException, RejectException {
                if (dropAfterBytes >= 0) {
                    data.readNBytes(dropAfterBytes);
                    // A next hop that crashes: the connection goes away with no reply at all.
                    closeQuietly(context);
                    throw new IOException("simulated crash");
                }
                byte[] bytes = data.readAllBytes();
                String refusal = dataRefusal;
                if (refusal != null) {
                    throw new RejectException(
                            Integer.parseInt(refusal.substring(0, 3)), refusal.substring(4));
                }
                lock.lock();
                try {
                    deliveries.add(new Delivery(from, List.copyOf(recipients), bytes));
                    arrived.signalAll();
                } finally {
                    lock.unlock();
                }
                return null;
            }

            @Override
            public void done() {}
        };
    }

    private static void closeQuietly(MessageContext context) {
        try {
            ((org.subethamail.smtp.server.Session) context).getSocket().close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        server.stop();
    }
}
