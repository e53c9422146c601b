package dev.bulwark.flow;

import dev.bulwark.auth.Authentication;
import dev.bulwark.auth.DkimResult;
import dev.bulwark.auth.DmarcResult;
import dev.bulwark.auth.HeaderBlock;
import dev.bulwark.auth.HeaderField;
import dev.bulwark.auth.ListResult;
import dev.bulwark.auth.SpfResult;
import dev.bulwark.auth.dmarc.DmarcEvaluator;
import dev.bulwark.auth.dnsbl.DnsListChecker;
import dev.bulwark.check.AuthenticationFacts;
import dev.bulwark.check.DnsLists;
import dev.bulwark.check.Message;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.ReversePath;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One session's sender authentication: each check starts as soon as its inputs exist (client lists
 * at connect, SPF for HELO at the greeting and for MAIL FROM at MAIL, DKIM, DMARC discovery at the
 * end of DATA) and runs beside the dialogue; a result is waited for only when a matcher or the
 * Authentication-Results field needs it. All the waiting of one transaction shares one DNS budget
 * ({@link Authenticator#budget}): a check that has not answered when it is spent is temperror.
 *
 * <p>Not thread-safe: the session's thread calls it; {@link #known()} (for the audit record) never
 * waits and may be called from the deadline timer.
 */
final class SessionAuth implements AuthenticationFacts {

    private static final int MAX_HEADER_BYTES = 256 * 1024;
    private static final int MAX_HEADER_FIELDS = 1000;

    private final Authenticator a;
    private final InetAddress client;
    private final DnsLists zones;
    private final LongSupplier nanoTime;
    private long budgetLeft;

    private Pending<List<ListResult>> clientLists;
    private String heloName = "";
    private Pending<SpfResult> helo;
    private Pending<SpfResult> mailFrom;
    private Pending<List<DkimResult>> dkim;
    private Pending<DmarcEvaluator.Discovery> discovery;
    private String fromProblem = "";
    private String messageId = "";
    private DmarcResult dmarc;
    private List<ListResult> uriLists;

    /** A started check and, once waited for, its result (a temperror if the budget ran out). */
    private static final class Pending<T> {
        final CompletableFuture<T> future;
        final Supplier<T> temperror;
        T value;

        Pending(CompletableFuture<T> future, Supplier<T> temperror) {
            this.future = future;
            this.temperror = temperror;
        }

        /** The result if there is one already, without waiting. */
        Optional<T> now() {
            if (value != null) {
                return Optional.of(value);
            }
            return future.isDone() && !future.isCompletedExceptionally()
                    ? Optional.of(future.join())
                    : Optional.empty();
        }
    }

    SessionAuth(Authenticator a, InetAddress client, DnsLists zones, LongSupplier nanoTime) {
        this.a = a;
        this.client = client;
        this.zones = zones;
        this.nanoTime = nanoTime;
        this.budgetLeft = a.budget.toNanos();
    }

    /** The client connected: ask the policy's client lists now. */
    void connect() {
        if (!zones.client().isEmpty()) {
            clientLists =
                    new Pending<>(
                            a.lists.checkClient(client, zones.client()),
                            () -> unknown(zones.client(), client.getHostAddress()));
        }
    }

    /** A greeting: SPF for the HELO identity starts now. */
    void helo(String name) {
        reset();
        heloName = name;
        helo =
                new Pending<>(
                        a.spf.checkHelo(client, name),
                        () -> spfTemperror(SpfResult.Identity.HELO, name));
    }

    /** MAIL FROM: SPF for the sender starts now, and the transaction's DNS budget is full. */
    void mail(ReversePath sender) {
        reset();
        budgetLeft = a.budget.toNanos();
        String address = sender instanceof Mailbox m ? m.address() : "";
        String domain =
                address.isEmpty() ? heloName : address.substring(address.lastIndexOf('@') + 1);
        mailFrom =
                new Pending<>(
                        a.spf.checkMailFrom(client, heloName, address),
                        () -> spfTemperror(SpfResult.Identity.MAILFROM, domain));
    }

    /** The end of DATA: DKIM verification and DMARC policy discovery start now, side by side. */
    void data(Message message) {
        List<HeaderField> fields;
        try (InputStream in = new BufferedInputStream(message.open())) {
            fields = HeaderBlock.read(in, MAX_HEADER_BYTES, MAX_HEADER_FIELDS);
        } catch (IOException e) {
            fields = null;
            fromProblem = "cannot read the header: " + e.getMessage();
        }
        if (fields != null && fields.stream().noneMatch(f -> f.key().equals("dkim-signature"))) {
            // Most mail is unsigned: no need to hand it to the verifier's thread.
            dkim =
                    new Pending<>(
                            CompletableFuture.completedFuture(List.of(DkimResult.none())),
                            List::of);
        } else {
            dkim =
                    new Pending<>(
                            a.dkim.verify(message::open),
                            () ->
                                    List.of(
                                            new DkimResult(
                                                    DkimResult.Result.TEMPERROR,
                                                    "",
                                                    "",
                                                    "",
                                                    "",
                                                    "no answer within the transaction's DNS budget",
                                                    false)));
        }
        if (fields == null) {
            return;
        }
        messageId =
                fields.stream()
                        .filter(f -> f.key().equals("message-id"))
                        .map(HeaderField::value)
                        .findFirst()
                        .orElse("");
        DmarcEvaluator.FromDomain from = DmarcEvaluator.fromDomain(fields);
        if (from.domain().isEmpty()) {
            fromProblem = from.problem();
            return;
        }
        String domain = from.domain().get();
        discovery =
                new Pending<>(
                        a.dmarc.discover(domain),
                        () ->
                                new DmarcEvaluator.Discovery(
                                        domain,
                                        domain,
                                        Optional.empty(),
                                        false,
                                        Optional.of(DmarcResult.Result.TEMPERROR),
                                        "no answer within the transaction's DNS budget"));
    }

    /** The transaction ended: its checks are forgotten (the session's are kept). */
    void reset() {
        mailFrom = null;
        dkim = null;
        discovery = null;
        fromProblem = "";
        messageId = "";
        dmarc = null;
        uriLists = null;
    }

    @Override
    public Authentication current() {
        Authentication r = Authentication.empty();
        if (clientLists != null) {
            r = r.withClientLists(await(clientLists));
        }
        if (helo != null) {
            r = r.withHelo(await(helo));
        }
        if (mailFrom != null) {
            r = r.withMailFrom(await(mailFrom));
        }
        if (dkim != null) {
            r = r.withDkim(await(dkim));
            if (dmarc == null) {
                dmarc = decideDmarc(r);
            }
            r = r.withDmarc(dmarc);
        }
        return uriLists == null ? r : r.withUriLists(uriLists);
    }

    @Override
    public List<ListResult> uriLists(Collection<String> hosts) {
        if (uriLists == null) {
            if (zones.uri().isEmpty()) {
                uriLists = List.of();
            } else {
                Pending<DnsListChecker.UriCheck> check =
                        new Pending<>(
                                a.lists.checkHosts(
                                        hosts, zones.uri(), Authenticator.MAX_URI_LOOKUPS),
                                () ->
                                        new DnsListChecker.UriCheck(
                                                hosts.stream()
                                                        .limit(Authenticator.MAX_URI_LOOKUPS)
                                                        .flatMap(
                                                                h ->
                                                                        unknown(zones.uri(), h)
                                                                                .stream())
                                                        .toList(),
                                                List.of()));
                uriLists = await(check).results();
            }
        }
        return uriLists;
    }

    /**
     * What is known now, without waiting: for the audit record, which may be written by the
     * deadline timer. Checks still running are left out.
     */
    Authentication known() {
        Authentication r = Authentication.empty();
        if (clientLists != null) {
            r = clientLists.now().map(r::withClientLists).orElse(r);
        }
        if (helo != null) {
            r = helo.now().map(r::withHelo).orElse(r);
        }
        if (mailFrom != null) {
            r = mailFrom.now().map(r::withMailFrom).orElse(r);
        }
        if (dkim != null) {
            r = dkim.now().map(r::withDkim).orElse(r);
        }
        if (dmarc != null) {
            r = r.withDmarc(dmarc);
        }
        return uriLists == null ? r : r.withUriLists(uriLists);
    }

    private DmarcResult decideDmarc(Authentication r) {
        if (discovery == null) {
            return new DmarcResult(
                    DmarcResult.Result.PERMERROR,
                    "",
                    DmarcResult.Policy.NONE,
                    DmarcResult.Policy.NONE,
                    false,
                    false,
                    fromProblem);
        }
        return a.dmarc.decide(await(discovery), r.mailFrom(), r.dkim(), messageId);
    }

    /**
     * The check's result, waiting for it at most what is left of the transaction's budget; the
     * check's temperror when that runs out.
     */
    private <T> T await(Pending<T> p) {
        if (p.value != null) {
            return p.value;
        }
        long started = nanoTime.getAsLong();
        try {
            p.value =
                    p.future.isDone()
                            ? p.future.get()
                            : p.future.get(Math.max(0, budgetLeft), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            p.value = p.temperror.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.value = p.temperror.get();
        } finally {
            budgetLeft -= nanoTime.getAsLong() - started;
        }
        return p.value;
    }

    private static SpfResult spfTemperror(SpfResult.Identity identity, String domain) {
        return new SpfResult(
                SpfResult.Result.TEMPERROR,
                identity,
                domain,
                "no answer within the transaction's DNS budget");
    }

    private static List<ListResult> unknown(List<String> zones, String subject) {
        List<ListResult> out = new ArrayList<>();
        for (String z : zones) {
            out.add(
                    new ListResult(
                            z,
                            subject,
                            ListResult.Status.TEMPERROR,
                            List.of(),
                            "no answer within the transaction's DNS budget"));
        }
        return out;
    }
}
