package dev.bulwark.check;

import dev.bulwark.auth.Authentication;
import dev.bulwark.auth.ListResult;

import java.util.Collection;
import java.util.List;

/**
 * What sender authentication and the DNS lists found so far in a session, as the policy's matchers
 * read it. The transaction flow starts each check as soon as its inputs exist (client lists at
 * connect, SPF at HELO and MAIL, DKIM and DMARC at the end of DATA) and this view waits for them
 * only when a matcher asks, and never longer than what is left of the transaction's DNS budget: a
 * check that has not answered by then is a temperror. Never returns {@code null}.
 */
public interface AuthenticationFacts {

    /** Nothing is checked: every result is absent, so no authentication matcher holds. */
    AuthenticationFacts NONE =
            new AuthenticationFacts() {
                @Override
                public Authentication current() {
                    return Authentication.empty();
                }

                @Override
                public List<ListResult> uriLists(Collection<String> hosts) {
                    return List.of();
                }
            };

    /** The results of the checks started so far, waiting (within the budget) for them. */
    Authentication current();

    /**
     * What the policy's URI lists say about these hosts (those of the message's links): looked up
     * once per message, at most a fixed number of questions, the rest reported as not checked.
     */
    List<ListResult> uriLists(Collection<String> hosts);
}
