package dev.bulwark.check.rules;

import java.util.Optional;

/**
 * The runtime test of one matcher of the policy language, built once by the compiler from the
 * matcher's checked operand and shared by every session. Its name and stage are not its own: they
 * are the compiler's matcher table's, carried by the {@link Condition.Match} around it.
 *
 * <p>A matcher reads only {@link Facts}; facts computed outside the rule engine (authentication
 * results, a classifier's probability) reach it that way too.
 */
@FunctionalInterface
public interface Matcher {

    /**
     * What matched, as a short detail for the hit ({@code "list: 192.0.2.7 in 192.0.2.0/24"}), or
     * empty when the matcher does not hold. Text taken from the message is {@link Condition#clip
     * clipped}.
     */
    Optional<String> match(Facts facts);
}
