package dev.bulwark.envelope;

import java.util.List;

/**
 * A parsed forward- or reverse-path as the client wrote it.
 *
 * @param mailbox the final mailbox (a source route, if any, is kept apart in {@code route})
 * @param route the hosts of an obsolete source route {@code <@a,@b:user@c>}, usually empty
 * @param trailingDot {@code true} when the domain was written with a trailing dot
 */
public record Path(Mailbox mailbox, List<String> route, boolean trailingDot) {

    public Path {
        route = List.copyOf(route);
    }
}
