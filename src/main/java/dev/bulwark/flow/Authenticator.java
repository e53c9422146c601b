package dev.bulwark.flow;

import dev.bulwark.auth.Authentication;
import dev.bulwark.auth.AuthenticationResults;
import dev.bulwark.auth.DkimResult;
import dev.bulwark.auth.DmarcResult;
import dev.bulwark.auth.ListResult;
import dev.bulwark.auth.PublicSuffixList;
import dev.bulwark.auth.SpfResult;
import dev.bulwark.auth.dkim.DkimVerifier;
import dev.bulwark.auth.dmarc.DmarcEvaluator;
import dev.bulwark.auth.dnsbl.DnsListChecker;
import dev.bulwark.auth.spf.SpfEvaluator;
import dev.bulwark.dns.DnsResolver;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sender authentication and DNS lists for every session of a node: the engines of {@code
 * dev.bulwark.auth} over one resolver, the transaction's DNS budget, our Authentication-Results
 * field, and the one log line per kind of DNS trouble. Immutable apart from that trouble state;
 * shared by every session ({@link SessionAuth} is the per-session part).
 *
 * <p>DNS trouble never refuses mail: a check that times out or meets a server failure gives
 * temperror, the policy decides what that means (the language never lets it produce a 5xx), and the
 * node logs when a kind of check starts and stops having trouble, not once per message (the audit
 * record and {@code bulwark_dns_temperrors_total} count each one).
 */
public final class Authenticator {

    private static final Logger log = LoggerFactory.getLogger(Authenticator.class);

    /** The most URI list questions one message may cause (ADR 0013). */
    public static final int MAX_URI_LOOKUPS = 20;

    /** Budget of one SPF evaluation (ADR 0013; DKIM's is in its {@code Limits.DEFAULT}). */
    static final Duration ENGINE_BUDGET = Duration.ofSeconds(5);

    /** The kinds of check, as the log and the metric label name them. */
    public enum Check {
        SPF,
        DKIM,
        DMARC,
        DNSBL,
        URIBL;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    final DnsResolver dns;
    final SpfEvaluator spf;
    final DkimVerifier dkim;
    final DmarcEvaluator dmarc;
    final DnsListChecker lists;
    final Duration budget;
    private final AuthenticationResults header;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Check, Boolean> troubled = new EnumMap<>(Check.class);

    /**
     * @param dns where answers come from: the site's resolvers through a cache, or recorded answers
     * @param psl the policy's Public Suffix List (organizational domains, URI list subjects)
     * @param clock for DKIM signature expiry and the SPF %{t} macro
     * @param authservId our id in Authentication-Results: the node's host name
     * @param budget how long one transaction waits for DNS at most, all checks together
     */
    public Authenticator(
            DnsResolver dns,
            PublicSuffixList psl,
            Clock clock,
            String authservId,
            Duration budget) {
        this.dns = Objects.requireNonNull(dns, "dns");
        Objects.requireNonNull(psl, "psl");
        if (budget.isNegative() || budget.isZero()) {
            throw new IllegalArgumentException(
                    budget.toMillis() + " ms is not a valid DNS budget: must be positive");
        }
        this.budget = budget;
        this.header = new AuthenticationResults(authservId);
        this.spf = new SpfEvaluator(dns, clock, ENGINE_BUDGET, authservId);
        this.dkim = new DkimVerifier(dns, clock, DkimVerifier.Limits.DEFAULT);
        this.dmarc = new DmarcEvaluator(dns, psl);
        this.lists = new DnsListChecker(dns, psl);
    }

    /** The Authentication-Results field for a relayed message, CRLF-terminated. */
    String header(Authentication auth) {
        return header.render(auth);
    }

    /** Whether an incoming Authentication-Results field claims to be ours (and must go). */
    boolean claimsOurId(String fieldValue) {
        return header.claimsOurId(fieldValue);
    }

    /**
     * Notes what a finished transaction's checks gave: the first temperror of a kind of check is
     * logged, and so is its first answer after trouble; in between the metric counts.
     */
    void observe(Authentication a, String logTag) {
        a.mailFrom()
                .ifPresent(
                        r ->
                                note(
                                        Check.SPF,
                                        r.result() == SpfResult.Result.TEMPERROR,
                                        r.reason(),
                                        logTag));
        for (DkimResult d : a.dkim()) {
            note(Check.DKIM, d.result() == DkimResult.Result.TEMPERROR, d.reason(), logTag);
        }
        a.dmarc()
                .ifPresent(
                        r ->
                                note(
                                        Check.DMARC,
                                        r.result() == DmarcResult.Result.TEMPERROR,
                                        r.reason(),
                                        logTag));
        for (ListResult l : a.clientLists()) {
            note(Check.DNSBL, l.status() == ListResult.Status.TEMPERROR, l.reason(), logTag);
        }
        for (ListResult l : a.uriLists()) {
            note(Check.URIBL, l.status() == ListResult.Status.TEMPERROR, l.reason(), logTag);
        }
    }

    private void note(Check check, boolean temperror, String reason, String logTag) {
        boolean changed;
        lock.lock();
        try {
            Boolean before = troubled.put(check, temperror);
            changed = before == null ? temperror : before != temperror;
        } finally {
            lock.unlock();
        }
        if (changed && temperror) {
            log.warn(
                    "{}: DNS trouble for {}: {}; mail keeps flowing with temperror, each one"
                            + " counted in bulwark_dns_temperrors_total (check {})",
                    logTag,
                    check.key(),
                    reason,
                    check.key());
        } else if (changed) {
            log.info("{}: DNS answers again for {}", logTag, check.key());
        }
    }
}
