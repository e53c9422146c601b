package dev.bulwark.check;

import java.util.List;
import java.util.Locale;

/**
 * The catalogue of hit ids that Bulwark itself uses beside the policy's rule ids, as {@code
 * Replies} is for replies: the gate, the server, the audit log, the metrics and the documentation
 * all spell them from here. Operators' dashboards and alerts match these strings, so they never
 * change spelling.
 *
 * <p>Fixed ids name one decision each; the prefixed families ({@code limit:}, {@code ratelimit:},
 * {@code protocol:}) name a limit or violation after the colon.
 */
public final class ReservedIds {

    private ReservedIds() {}

    /** A recipient outside the relay domains, or written with routing tricks. */
    public static final String RELAY_DOMAINS = "relay-domains";

    /** A check failed unexpectedly; the client got a temporary failure (fail closed). */
    public static final String INTERNAL_ERROR = "internal-error";

    /**
     * The node's runtime no longer matches its manifest and the policy says to refuse mail then
     * ({@code integrity: {on-mismatch: refuse-mail}}): new sessions get 421.
     */
    public static final String RUNTIME_INTEGRITY = "runtime-integrity";

    /** The score reached the policy's reject threshold. */
    public static final String THRESHOLD_REJECT = "threshold:reject";

    /** The score reached the policy's quarantine threshold. */
    public static final String THRESHOLD_QUARANTINE = "threshold:quarantine";

    /** The score reached the policy's tag threshold. */
    public static final String THRESHOLD_TAG = "threshold:tag";

    /** Prefix of the protocol limits the policy sets ({@code limits:} section). */
    public static final String LIMIT_PREFIX = "limit:";

    /** More recipients in one transaction than the policy allows. */
    public static final String MAX_RECIPIENTS = LIMIT_PREFIX + "max-recipients";

    /** More connections on the node than the policy allows. */
    public static final String MAX_CONNECTIONS = LIMIT_PREFIX + "max-connections";

    /** More connections from one client address than the policy allows. */
    public static final String MAX_CONNECTIONS_PER_CLIENT =
            LIMIT_PREFIX + "max-connections-per-client";

    /** Prefix of the policy's rate limits: {@code ratelimit:<limit id>}. */
    /** A client subnet has as many sessions open as the site allows. */
    public static final String MAX_CONNECTIONS_PER_SUBNET =
            LIMIT_PREFIX + "max-connections-per-subnet";

    /** A client address holds as many open transactions as the site allows. */
    public static final String MAX_TRANSACTIONS_PER_CLIENT =
            LIMIT_PREFIX + "max-transactions-per-client";

    /** A client subnet holds as many open transactions as the site allows. */
    public static final String MAX_TRANSACTIONS_PER_SUBNET =
            LIMIT_PREFIX + "max-transactions-per-subnet";

    /** The node's budget of message octets in flight is spent. */
    public static final String IN_FLIGHT_BYTES = LIMIT_PREFIX + "in-flight-bytes";

    public static final String RATE_LIMIT_PREFIX = "ratelimit:";

    /** Prefix of protocol violations in a message. */
    public static final String PROTOCOL_PREFIX = "protocol:";

    /** A bare CR or LF in a message (SMTP smuggling). */
    public static final String BARE_LINE_ENDING = PROTOCOL_PREFIX + "bare-line-ending";

    /** A NUL octet in a message (SMTP smuggling through next hops that drop NULs). */
    public static final String NUL = PROTOCOL_PREFIX + "nul";

    /** A message that already carries 50 or more {@code Received} headers: a mail loop. */
    public static final String TOO_MANY_HOPS = PROTOCOL_PREFIX + "too-many-hops";

    /** A message larger than the policy's message size. */
    public static final String TOO_BIG = PROTOCOL_PREFIX + "too-big";

    /** A header block larger than the policy allows. */
    public static final String HEADER_TOO_BIG = PROTOCOL_PREFIX + "header-too-big";

    /** A message line longer than the policy allows. */
    public static final String LINE_TOO_LONG = PROTOCOL_PREFIX + "line-too-long";

    private static final List<String> FIXED =
            List.of(
                    RELAY_DOMAINS,
                    INTERNAL_ERROR,
                    RUNTIME_INTEGRITY,
                    THRESHOLD_REJECT,
                    THRESHOLD_QUARANTINE,
                    THRESHOLD_TAG,
                    MAX_RECIPIENTS,
                    MAX_CONNECTIONS,
                    MAX_CONNECTIONS_PER_CLIENT,
                    MAX_CONNECTIONS_PER_SUBNET,
                    MAX_TRANSACTIONS_PER_CLIENT,
                    MAX_TRANSACTIONS_PER_SUBNET,
                    IN_FLIGHT_BYTES,
                    BARE_LINE_ENDING,
                    NUL,
                    TOO_MANY_HOPS,
                    TOO_BIG,
                    HEADER_TOO_BIG,
                    LINE_TOO_LONG);

    private static final List<String> PREFIXES =
            List.of(LIMIT_PREFIX, RATE_LIMIT_PREFIX, PROTOCOL_PREFIX);

    /** The hit id of a rate limit declared in the policy as {@code limitId}. */
    public static String rateLimit(String limitId) {
        return RATE_LIMIT_PREFIX + limitId;
    }

    /** The hit id of a protocol violation, from its constant name ({@code TOO_BIG}). */
    public static String protocol(String constantName) {
        return PROTOCOL_PREFIX + constantName.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Every fixed id, in the order the documentation lists them. */
    public static List<String> fixed() {
        return FIXED;
    }

    /** The prefixes of the id families ({@code limit:}, {@code ratelimit:}, {@code protocol:}). */
    public static List<String> prefixes() {
        return PREFIXES;
    }

    /** {@code true} for a fixed id or an id of one of the prefixed families. */
    public static boolean isReserved(String id) {
        return FIXED.contains(id) || PREFIXES.stream().anyMatch(id::startsWith);
    }

    /** {@code true} for a protocol limit or a rate limit ({@code limit:…}, {@code ratelimit:…}). */
    public static boolean isLimit(String id) {
        return id.startsWith(LIMIT_PREFIX) || id.startsWith(RATE_LIMIT_PREFIX);
    }
}
