package dev.bulwark.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything sender authentication and the DNS lists found for one transaction, collected as the
 * lookups finish: SPF for HELO and MAIL FROM, each DKIM signature, DMARC, the client lists and the
 * URI lists. An immutable value: each {@code with...} returns a copy.
 */
public record Authentication(
        Optional<SpfResult> helo,
        Optional<SpfResult> mailFrom,
        List<DkimResult> dkim,
        Optional<DmarcResult> dmarc,
        List<ListResult> clientLists,
        List<ListResult> uriLists) {

    public Authentication {
        dkim = List.copyOf(dkim);
        clientLists = List.copyOf(clientLists);
        uriLists = List.copyOf(uriLists);
    }

    public static Authentication empty() {
        return new Authentication(
                Optional.empty(),
                Optional.empty(),
                List.of(),
                Optional.empty(),
                List.of(),
                List.of());
    }

    public Authentication withHelo(SpfResult r) {
        return new Authentication(Optional.of(r), mailFrom, dkim, dmarc, clientLists, uriLists);
    }

    public Authentication withMailFrom(SpfResult r) {
        return new Authentication(helo, Optional.of(r), dkim, dmarc, clientLists, uriLists);
    }

    public Authentication withDkim(List<DkimResult> r) {
        return new Authentication(helo, mailFrom, r, dmarc, clientLists, uriLists);
    }

    public Authentication withDmarc(DmarcResult r) {
        return new Authentication(helo, mailFrom, dkim, Optional.of(r), clientLists, uriLists);
    }

    public Authentication withClientLists(List<ListResult> r) {
        return new Authentication(helo, mailFrom, dkim, dmarc, r, uriLists);
    }

    public Authentication withUriLists(List<ListResult> r) {
        return new Authentication(helo, mailFrom, dkim, dmarc, clientLists, r);
    }

    /** The DKIM signatures that passed, for DMARC alignment. */
    public List<DkimResult> dkimPasses() {
        List<DkimResult> out = new ArrayList<>();
        for (DkimResult r : dkim) {
            if (r.result() == DkimResult.Result.PASS) {
                out.add(r);
            }
        }
        return out;
    }
}
