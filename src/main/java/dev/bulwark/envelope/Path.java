package dev.bulwark.envelope;

import java.util.List;

/**
 * A parsed forward- or reverse-path as the client wrote it.
 *
 * @param mailbox the final mailbox (a source route, if any, is kept apart in {@code route})
 * @param route the hosts of an obsolete source route {@code <@a,@b:user@c>}, usually empty
 * @param trailingDot {@code true} when the domain was written with a trailing dot
 * @param writtenDomain the final mailbox's domain exactly as the client wrote it (no trailing dot),
 *     before the lower-casing of {@link Mailbox#domain()}, which folds look-alikes such as the
 *     Kelvin sign into ASCII: the relay-domain check judges this spelling
 */
public record Path(Mailbox mailbox, List<String> route, boolean trailingDot, String writtenDomain) {

    public Path {
        route = List.copyOf(route);
        java.util.Objects.requireNonNull(writtenDomain, "writtenDomain");
    }

    /** A path whose domain was written as the mailbox has it. */
    public Path(Mailbox mailbox, List<String> route, boolean trailingDot) {
        this(mailbox, route, trailingDot, mailbox.domain());
    }
}
