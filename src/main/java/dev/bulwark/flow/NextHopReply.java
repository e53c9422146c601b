package dev.bulwark.flow;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A reply from the next hop, or one the relay made up because the next hop could not be reached
 * ({@code local == true}: the next hop never said it). The text is for the audit log; the flow
 * answers the client from {@link Replies}, never with the next hop's text.
 *
 * @param code the three-digit reply code
 * @param enhanced the enhanced status code (RFC 3463), if the next hop sent one
 * @param lines the reply text, one entry per line, without code and enhanced code
 * @param local {@code true} if the relay synthesised this reply after a connection failure
 */
public record NextHopReply(int code, Optional<String> enhanced, List<String> lines, boolean local) {

    private static final Pattern ENHANCED = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

    public NextHopReply {
        Objects.requireNonNull(enhanced, "enhanced");
        lines = List.copyOf(lines);
    }

    /** A failure the relay observed itself: connection refused, timeout, broken connection. */
    public static NextHopReply failure(String enhanced, String detail) {
        return new NextHopReply(451, Optional.of(enhanced), List.of(detail), true);
    }

    /** Parses the text after the code of each reply line and strips a leading enhanced code. */
    public static NextHopReply parse(int code, List<String> texts) {
        Optional<String> enhanced = Optional.empty();
        var lines = new java.util.ArrayList<String>(texts.size());
        for (String t : texts) {
            int sp = t.indexOf(' ');
            String first = sp < 0 ? t : t.substring(0, sp);
            if (ENHANCED.matcher(first).matches()
                    && first.charAt(0) == Character.forDigit(code / 100, 10)) {
                if (enhanced.isEmpty()) {
                    enhanced = Optional.of(first);
                }
                t = sp < 0 ? "" : t.substring(sp + 1);
            }
            lines.add(t);
        }
        return new NextHopReply(code, enhanced, lines, false);
    }

    /**
     * Only a 2xx is success. A 3xx is an intermediate reply (354 after DATA is the only one the
     * relay waits for, and checks itself); where a final reply is due it is a broken next hop, and
     * taking it for success would tell the client 250 for a message nobody has.
     */
    public boolean isPositive() {
        return code >= 200 && code < 300;
    }

    public boolean isTransient() {
        return code >= 400 && code < 500;
    }

    public boolean isPermanent() {
        return code >= 500;
    }

    /** One line for logs: {@code 250 2.0.0 Ok: queued as 1234}. */
    public String summary() {
        return code
                + enhanced.map(e -> " " + e).orElse("")
                + (lines.isEmpty() ? "" : " " + String.join(" / ", lines));
    }

    @Override
    public String toString() {
        return summary();
    }
}
