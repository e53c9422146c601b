package dev.bulwark.audit;

import dev.bulwark.auth.Authentication;
import dev.bulwark.auth.DkimResult;
import dev.bulwark.auth.ListResult;
import dev.bulwark.json.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes each audit record as one JSON line; as {@link AuditLines}, writes the chain's lines
 * ({@link AuditChain}) to a stream such as standard output.
 */
public final class JsonAuditLog implements AuditSink, AuditLines {

    private final OutputStream out;
    private final ReentrantLock lock = new ReentrantLock();

    public JsonAuditLog(OutputStream out) {
        this.out = out;
    }

    @Override
    public void record(AuditRecord r) {
        line((format(r) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void line(byte[] line) {
        lock.lock();
        try {
            out.write(line);
            out.flush();
        } catch (IOException e) {
            // An audit destination that fails must not break mail flow; the journal shows stderr.
            System.err.println("bulwark: cannot write audit record: " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /** The JSON form of a record, fields in a fixed order. */
    public static String format(AuditRecord r) {
        StringBuilder b = new StringBuilder(512);
        b.append('{');
        field(b, "time", DateTimeFormatter.ISO_INSTANT.format(r.time()));
        field(b, "kind", r.kind().key());
        field(b, "session", r.sessionId());
        field(b, "transaction", r.transactionId());
        field(b, "client", r.client());
        field(b, "balancer", r.balancer());
        field(b, "helo", r.helo());
        field(b, "tls", r.tls());
        field(b, "sender", r.sender());
        b.append("\"recipients\":[");
        for (int i = 0; i < r.recipients().size(); i++) {
            AuditRecord.RecipientOutcome o = r.recipients().get(i);
            b.append(i == 0 ? "{" : ",{");
            field(b, "address", o.address());
            b.append("\"accepted\":").append(o.accepted()).append(',');
            field(b, "reply", o.reply());
            list(b, "rules", o.rules());
            b.setLength(b.length() - 1); // the trailing comma
            b.append('}');
        }
        b.append("],");
        field(b, "message_id", r.messageId());
        b.append("\"size\":").append(r.size()).append(',');
        field(b, "verdict", r.verdict().key());
        b.append("\"score\":").append(r.score()).append(',');
        if (r.classifier().isPresent()) {
            b.append("\"classifier\":")
                    .append(dev.bulwark.classifier.Score.format(r.classifier().getAsDouble()))
                    .append(',');
        }
        list(b, "rules", r.rules());
        list(b, "shadow_rules", r.shadowRules());
        field(b, "policy", r.policy().hex());
        field(b, "next_hop_reply", r.nextHopReply());
        nextHop(b, r.nextHop());
        r.authentication().ifPresent(a -> authentication(b, a));
        field(b, "reply", r.reply());
        b.append("\"durations_ms\":{");
        boolean first = true;
        for (Map.Entry<String, Long> e : r.durationsMs().entrySet()) {
            if (!first) {
                b.append(',');
            }
            first = false;
            Json.string(b, e.getKey()).append(':').append(e.getValue());
        }
        return b.append("}}").toString();
    }

    private static void field(StringBuilder b, String name, String value) {
        Json.string(b.append('"').append(name).append("\":"), value).append(',');
    }

    private static void field(StringBuilder b, String name, Optional<String> value) {
        b.append('"').append(name).append("\":");
        if (value.isPresent()) {
            Json.string(b, value.get());
        } else {
            b.append("null");
        }
        b.append(',');
    }

    private static void nextHop(StringBuilder b, Optional<AuditRecord.NextHopOutcome> outcome) {
        b.append("\"next_hop\":");
        if (outcome.isEmpty()) {
            b.append("null,");
            return;
        }
        AuditRecord.NextHopOutcome o = outcome.get();
        b.append("{\"stage\":\"")
                .append(o.stage().key())
                .append("\",\"code\":")
                .append(o.code())
                .append(",\"answered\":")
                .append(o.answered())
                .append(",\"delivery_ms\":");
        if (o.delivery().isPresent()) {
            b.append(o.delivery().get().toMillis());
        } else {
            b.append("null");
        }
        b.append("},");
    }

    /**
     * {@code "auth":{"spf":"pass","spf_domain":..,"helo":..,"dkim":[{"result":..,"domain":..}],
     * "dmarc":"fail","dmarc_policy":"reject","dnsbl":[..],"uribl":[..]}}: results and the domains
     * they are for, never a reason text (that goes to the Authentication-Results field).
     */
    private static void authentication(StringBuilder b, Authentication a) {
        b.append("\"auth\":{");
        a.mailFrom()
                .ifPresent(
                        s -> {
                            field(b, "spf", s.result().keyword());
                            field(b, "spf_domain", s.domain());
                        });
        a.helo().ifPresent(s -> field(b, "helo_spf", s.result().keyword()));
        b.append("\"dkim\":[");
        for (int i = 0; i < a.dkim().size(); i++) {
            DkimResult d = a.dkim().get(i);
            b.append(i == 0 ? "{" : ",{");
            field(b, "result", d.result().keyword());
            field(b, "domain", d.domain());
            b.setLength(b.length() - 1);
            b.append('}');
        }
        b.append("],");
        a.dmarc()
                .ifPresent(
                        d -> {
                            field(b, "dmarc", d.result().keyword());
                            field(b, "dmarc_from", d.fromDomain());
                            field(b, "dmarc_policy", d.policy().keyword());
                            field(b, "dmarc_disposition", d.disposition().keyword());
                        });
        lists(b, "dnsbl", a.clientLists());
        lists(b, "uribl", a.uriLists());
        b.setLength(b.length() - 1);
        b.append("},");
    }

    private static void lists(StringBuilder b, String name, List<ListResult> results) {
        b.append('"').append(name).append("\":[");
        for (int i = 0; i < results.size(); i++) {
            ListResult l = results.get(i);
            b.append(i == 0 ? "{" : ",{");
            field(b, "zone", l.zone());
            field(b, "subject", l.subject());
            field(b, "status", l.status().name().toLowerCase(java.util.Locale.ROOT));
            list(b, "codes", l.codes());
            b.setLength(b.length() - 1);
            b.append('}');
        }
        b.append("],");
    }

    private static void list(StringBuilder b, String name, List<String> values) {
        b.append('"').append(name).append("\":[");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            Json.string(b, values.get(i));
        }
        b.append("],");
    }
}
