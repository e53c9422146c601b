package dev.bulwark.policy;

import dev.bulwark.check.Verdict;
import dev.bulwark.check.rules.Action;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a tag marks a message: the policy-wide {@code tag:} section, or a rule's own {@code tag:}
 * beside {@code action: tag}.
 */
record TagDecl(Pos pos, Optional<Located<String>> subjectPrefix, List<Header> headers)
        implements Declaration {

    TagDecl {
        headers = List.copyOf(headers);
    }

    /** One header a tag adds; its value may contain {@code {score}} and {@code {rules}}. */
    record Header(Located<String> name, Located<String> value) {}

    private static final Pos BUILT_IN = new Pos("(built in)", 1, 1);

    /** The tag of a policy without a {@code tag:} section. */
    static final TagDecl DEFAULT =
            new TagDecl(
                    BUILT_IN,
                    Optional.empty(),
                    List.of(
                            new Header(
                                    Located.of("X-Spam-Flag", BUILT_IN),
                                    Located.of("YES", BUILT_IN)),
                            new Header(
                                    Located.of("X-Spam-Score", BUILT_IN),
                                    Located.of("{score}", BUILT_IN))));

    Action.TagSpec spec() {
        return new Action.TagSpec(
                headers.stream()
                        .map(h -> new Verdict.Header(h.name().value(), h.value().value()))
                        .toList(),
                subjectPrefix.map(Located::value));
    }

    @Override
    public Map<String, Object> canonical() {
        Map<String, Object> c = new LinkedHashMap<>();
        subjectPrefix.ifPresent(p -> c.put("subject-prefix", p.value()));
        Map<String, Object> h = new LinkedHashMap<>();
        for (Header header : headers) {
            h.put(header.name().value(), header.value().value());
        }
        c.put("headers", h);
        return c;
    }
}
