package dev.bulwark.policy;

import static dev.bulwark.check.Stage.CONNECT;
import static dev.bulwark.check.Stage.DATA;
import static dev.bulwark.check.Stage.HELO;
import static dev.bulwark.check.Stage.MAIL;
import static dev.bulwark.check.Stage.RCPT;

import dev.bulwark.auth.DkimResult;
import dev.bulwark.auth.DmarcResult;
import dev.bulwark.auth.SpfResult;
import dev.bulwark.check.Stage;
import dev.bulwark.check.rules.AddressSet;
import dev.bulwark.check.rules.AuthMatchers;
import dev.bulwark.check.rules.CidrSet;
import dev.bulwark.check.rules.DomainSet;
import dev.bulwark.check.rules.HeloShape;
import dev.bulwark.check.rules.Matcher;
import dev.bulwark.check.rules.MessageMatchers;
import dev.bulwark.check.rules.NameSet;
import dev.bulwark.check.rules.SessionMatchers;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The matcher table: every matcher of the policy language, one row each. A row is the name as
 * written in the policy, the earliest stage its facts are known, the kind of operand it takes, and
 * the factory of its runtime {@link Matcher}. Reading, checking, lowering, the canonical form and
 * the stage check all go by this table; {@code src/docs/policy.md} documents every row under its
 * name (a test holds the two together).
 *
 * <p>A new matcher is a row here and its runtime {@link Matcher} (which reads {@link
 * dev.bulwark.check.rules.Facts}); if its operand has a shape no kind in {@link Operands} reads, a
 * kind there too.
 */
final class Matchers {
    private Matchers() {}

    /**
     * DMARC's results, and the dispositions a fail can carry: {@code dmarc: reject} is a fail whose
     * domain asks to reject this message (its p= or sp=, after pct= sampling).
     */
    private static final List<String> DMARC_WORDS =
            java.util.stream.Stream.concat(
                            words(DmarcResult.Result.values()).stream(),
                            java.util.stream.Stream.of("quarantine", "reject"))
                    .toList();

    static final List<MatcherRow<?, ?>> ALL =
            List.of(
                    row(
                            "client-ip-in",
                            CONNECT,
                            ListOperands.of(ListKind.CIDR),
                            l ->
                                    new SessionMatchers.ClientIpIn(
                                            l.label(), CidrSet.ofEntries(l.entries()))),
                    row(
                            "helo-is",
                            HELO,
                            Operands.oneOf(
                                    "HELO shape",
                                    Arrays.asList(HeloShape.values()),
                                    HeloShape::key),
                            SessionMatchers.HeloIs::new),
                    row("helo-matches", HELO, Operands.PATTERN, SessionMatchers.HeloMatches::new),
                    row(
                            "helo-in",
                            HELO,
                            ListOperands.of(ListKind.DOMAIN),
                            l -> new SessionMatchers.HeloIn(l.label(), DomainSet.of(l.entries()))),
                    row(
                            "sender-in",
                            MAIL,
                            ListOperands.of(ListKind.ADDRESS),
                            l ->
                                    new SessionMatchers.SenderIn(
                                            l.label(), AddressSet.of(l.entries()))),
                    row(
                            "sender-matches",
                            MAIL,
                            Operands.PATTERN,
                            SessionMatchers.SenderMatches::new),
                    row("sender-null", MAIL, Operands.FLAG, SessionMatchers.SenderNull::new),
                    row(
                            "recipient-in",
                            RCPT,
                            ListOperands.of(ListKind.ADDRESS),
                            l ->
                                    new SessionMatchers.RecipientIn(
                                            l.label(), AddressSet.of(l.entries()))),
                    row(
                            "recipient-matches",
                            RCPT,
                            Operands.PATTERN,
                            SessionMatchers.RecipientMatches::new),
                    row(
                            "header-present",
                            DATA,
                            Operands.HEADER,
                            MessageMatchers.HeaderPresent::new),
                    row("header-absent", DATA, Operands.HEADER, MessageMatchers.HeaderAbsent::new),
                    row(
                            "header-matches",
                            DATA,
                            Operands.HEADER_PATTERN,
                            h -> new MessageMatchers.HeaderMatches(h.header(), h.regex())),
                    row(
                            "subject-contains",
                            DATA,
                            Operands.TEXT,
                            MessageMatchers.SubjectContains::new),
                    row(
                            "subject-matches",
                            DATA,
                            Operands.PATTERN,
                            MessageMatchers.SubjectMatches::new),
                    row("body-contains", DATA, Operands.TEXT, MessageMatchers.BodyContains::new),
                    row("body-matches", DATA, Operands.PATTERN, MessageMatchers.BodyMatches::new),
                    row("raw-matches", DATA, Operands.PATTERN, MessageMatchers.RawMatches::new),
                    row(
                            "attachment-name-matches",
                            DATA,
                            Operands.PATTERN,
                            MessageMatchers.AttachmentNameMatches::new),
                    row(
                            "attachment-extension-in",
                            DATA,
                            ListOperands.of(ListKind.EXTENSION),
                            l ->
                                    new MessageMatchers.AttachmentExtensionIn(
                                            l.label(), NameSet.of(l.entries()))),
                    row(
                            "attachment-type-in",
                            DATA,
                            ListOperands.of(ListKind.CONTENT_TYPE),
                            l ->
                                    new MessageMatchers.AttachmentTypeIn(
                                            l.label(), NameSet.of(l.entries()))),
                    row("size-over", DATA, Operands.SIZE, MessageMatchers.SizeOver::new),
                    row(
                            "url-host-in",
                            DATA,
                            ListOperands.of(ListKind.DOMAIN),
                            l ->
                                    new MessageMatchers.UrlHostIn(
                                            l.label(), DomainSet.of(l.entries()))),
                    row("url-host-is-ip", DATA, Operands.FLAG, MessageMatchers.UrlHostIsIp::new),
                    row("mime-malformed", DATA, Operands.FLAG, MessageMatchers.MimeMalformed::new),
                    row(
                            "spf",
                            MAIL,
                            AuthOperands.results("SPF result", words(SpfResult.Result.values())),
                            r ->
                                    new AuthMatchers.Spf(
                                            enums(r, SpfResult.Result.class), r.domain())),
                    row(
                            "dkim",
                            DATA,
                            AuthOperands.results("DKIM result", words(DkimResult.Result.values())),
                            r ->
                                    new AuthMatchers.Dkim(
                                            enums(r, DkimResult.Result.class), r.domain())),
                    row(
                            "dmarc",
                            DATA,
                            AuthOperands.results("DMARC result", DMARC_WORDS),
                            r ->
                                    new AuthMatchers.Dmarc(
                                            enums(r, DmarcResult.Result.class),
                                            dispositions(r),
                                            r.domain())),
                    row(
                            "dnsbl",
                            CONNECT,
                            AuthOperands.LIST_ZONE,
                            z -> new AuthMatchers.Dnsbl(z.zone(), z.codes())),
                    row(
                            "uribl",
                            DATA,
                            AuthOperands.LIST_ZONE,
                            z -> new AuthMatchers.Uribl(z.zone(), z.codes())),
                    row(
                            "classifier",
                            DATA,
                            Operands.PROBABILITY,
                            r -> new MessageMatchers.ClassifierIn(r.above(), r.below())));

    private static final Map<String, MatcherRow<?, ?>> BY_NAME = byName();

    private static List<String> words(Enum<?>[] values) {
        return Arrays.stream(values).map(v -> v.name().toLowerCase(java.util.Locale.ROOT)).toList();
    }

    /** The words of {@code r} that name constants of {@code type}. */
    private static <E extends Enum<E>> Set<E> enums(AuthOperands.Results r, Class<E> type) {
        Set<E> out = java.util.EnumSet.noneOf(type);
        for (E e : type.getEnumConstants()) {
            if (r.words().contains(e.name().toLowerCase(java.util.Locale.ROOT))) {
                out.add(e);
            }
        }
        return out;
    }

    private static Set<DmarcResult.Policy> dispositions(AuthOperands.Results r) {
        Set<DmarcResult.Policy> out = java.util.EnumSet.noneOf(DmarcResult.Policy.class);
        if (r.words().contains("quarantine")) {
            out.add(DmarcResult.Policy.QUARANTINE);
        }
        if (r.words().contains("reject")) {
            out.add(DmarcResult.Policy.REJECT);
        }
        return out;
    }

    private static <D extends OperandDecl, V> MatcherRow<D, V> row(
            String name,
            Stage earliest,
            Operand<D, V> operand,
            Function<? super V, Matcher> factory) {
        return new MatcherRow<>(name, earliest, operand, factory);
    }

    private static Map<String, MatcherRow<?, ?>> byName() {
        Map<String, MatcherRow<?, ?>> m = new LinkedHashMap<>();
        for (MatcherRow<?, ?> r : ALL) {
            if (m.put(r.name(), r) != null) {
                throw new IllegalStateException("two matchers named " + r.name());
            }
        }
        return m;
    }

    static Optional<MatcherRow<?, ?>> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** Every matcher's name, in table order. */
    static Set<String> names() {
        return BY_NAME.keySet();
    }
}
