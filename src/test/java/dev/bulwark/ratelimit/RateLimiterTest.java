package dev.bulwark.ratelimit;

import static dev.bulwark.ratelimit.Limits.bytes;
import static dev.bulwark.ratelimit.Limits.fleet;
import static dev.bulwark.ratelimit.Limits.limit;
import static dev.bulwark.ratelimit.Limits.shadow;
import static dev.bulwark.ratelimit.Limits.subnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bulwark.check.Hit;
import dev.bulwark.check.Stage;
import dev.bulwark.envelope.Mailbox;
import dev.bulwark.envelope.ReversePath;
import dev.bulwark.ratelimit.LimitSpec.Key;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

class RateLimiterTest {

    private final ManualTime time = new ManualTime();

    private RateLimiter limiter(LimitSpec... limits) {
        return RateLimiter.builder(List.of(limits)).timeMeter(time).build();
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: no lookup
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static Subject client(String literal) {
        return Subject.of(ip(literal));
    }

    private static Subject mail(String client, String sender) {
        ReversePath path = sender.equals("<>") ? ReversePath.nullPath() : Mailbox.of(sender);
        return client(client).withSender(path);
    }

    @Test
    void refusesPastCapacityAndRefillsOneTokenPerPeriodOverCapacity() {
        RateLimiter limiter =
                limiter(limit("per-ip", Stage.CONNECT, Key.CLIENT_IP, 3, Duration.ofMinutes(1)));
        Subject c = client("192.0.2.1");
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.consume(Stage.CONNECT, c).allowed()).isTrue();
        }
        Consumption refused = limiter.consume(Stage.CONNECT, c);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.refusal().orElseThrow().limit().id()).isEqualTo("per-ip");
        assertThat(refused.refusal().orElseThrow().key()).isEqualTo("192.0.2.1");
        assertThat(refused.refusal().orElseThrow().retryAfter()).contains(Duration.ofSeconds(20));

        time.advance(Duration.ofSeconds(19));
        assertThat(limiter.consume(Stage.CONNECT, c).allowed()).isFalse();
        time.advance(Duration.ofSeconds(1));
        assertThat(limiter.consume(Stage.CONNECT, c).allowed()).isTrue();
        assertThat(limiter.consume(Stage.CONNECT, c).allowed()).isFalse();

        time.advance(Duration.ofHours(1));
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.consume(Stage.CONNECT, c).allowed())
                    .as("full again, never above capacity")
                    .isTrue();
        }
        assertThat(limiter.consume(Stage.CONNECT, c).allowed()).isFalse();
    }

    @Test
    void eachClientAddressHasItsOwnBucket() {
        RateLimiter limiter =
                limiter(limit("per-ip", Stage.CONNECT, Key.CLIENT_IP, 1, Duration.ofMinutes(1)));
        assertThat(limiter.consume(Stage.CONNECT, client("192.0.2.1")).allowed()).isTrue();
        assertThat(limiter.consume(Stage.CONNECT, client("192.0.2.2")).allowed()).isTrue();
        assertThat(limiter.consume(Stage.CONNECT, client("192.0.2.1")).allowed()).isFalse();
    }

    @Test
    void ipv4ClientsInOneSubnetShareABucket() {
        RateLimiter limiter = limiter(subnet("per-net", 24, 64, 2, Duration.ofMinutes(1)));
        assertThat(limiter.consume(Stage.CONNECT, client("192.0.2.1")).allowed()).isTrue();
        assertThat(limiter.consume(Stage.CONNECT, client("192.0.2.254")).allowed()).isTrue();
        Consumption third = limiter.consume(Stage.CONNECT, client("192.0.2.77"));
        assertThat(third.refusal().orElseThrow().key()).isEqualTo("192.0.2.0/24");
        assertThat(limiter.consume(Stage.CONNECT, client("192.0.3.1")).allowed())
                .as("next /24")
                .isTrue();
    }

    @Test
    void ipv4PrefixNeedNotBeOctetAligned() {
        RateLimiter limiter = limiter(subnet("per-net", 20, 64, 1, Duration.ofMinutes(1)));
        assertThat(limiter.consume(Stage.CONNECT, client("198.51.100.1")).allowed()).isTrue();
        Consumption sameNet = limiter.consume(Stage.CONNECT, client("198.51.111.200"));
        assertThat(sameNet.refusal().orElseThrow().key()).isEqualTo("198.51.96.0/20");
        assertThat(limiter.consume(Stage.CONNECT, client("198.51.112.1")).allowed()).isTrue();
    }

    @Test
    void ipv6ClientsInOneSubnetShareABucket() {
        RateLimiter limiter = limiter(subnet("per-net", 24, 48, 1, Duration.ofMinutes(1)));
        assertThat(limiter.consume(Stage.CONNECT, client("2001:db8:1:1::1")).allowed()).isTrue();
        Consumption sameNet = limiter.consume(Stage.CONNECT, client("2001:db8:1:ffff:abcd::9"));
        assertThat(sameNet.refusal().orElseThrow().key()).isEqualTo("2001:db8:1:0:0:0:0:0/48");
        assertThat(limiter.consume(Stage.CONNECT, client("2001:db8:2::1")).allowed()).isTrue();
        assertThat(limiter.consume(Stage.CONNECT, client("192.0.2.1")).allowed())
                .as("IPv4 uses its own prefix")
                .isTrue();
    }

    @Test
    void bytesLimitConsumesTheMessageSize() {
        RateLimiter limiter =
                limiter(bytes("octets-per-sender", Key.SENDER, 1_000, Duration.ofHours(1)));
        Subject m = mail("192.0.2.1", "a@example.com");
        assertThat(limiter.consume(Stage.DATA, m.withSize(600)).allowed()).isTrue();
        Consumption second = limiter.consume(Stage.DATA, m.withSize(600));
        assertThat(second.allowed()).isFalse();
        assertThat(second.refusal().orElseThrow().cost()).isEqualTo(600);
        assertThat(second.refusal().orElseThrow().retryAfter())
                .contains(Duration.ofMinutes(12)); // 200 octets at 1000/h
        assertThat(limiter.consume(Stage.DATA, m.withSize(400)).allowed()).isTrue();
        assertThat(limiter.consume(Stage.DATA, m.withSize(1)).allowed()).isFalse();
    }

    @Test
    void messageLargerThanAByteLimitsCapacityCanNeverPass() {
        RateLimiter limiter = limiter(bytes("octets", Key.GLOBAL, 1_000, Duration.ofHours(1)));
        Consumption outcome =
                limiter.consume(Stage.DATA, mail("192.0.2.1", "a@example.com").withSize(1_001));
        assertThat(outcome.allowed()).isFalse();
        assertThat(outcome.refusal().orElseThrow().retryAfter()).isEmpty();
        assertThat(
                        limiter.consume(
                                        Stage.DATA,
                                        mail("192.0.2.1", "a@example.com").withSize(1_000))
                                .allowed())
                .as("the refused message took nothing")
                .isTrue();
    }

    @Test
    void shadowLimitRecordsButNeverRefuses() {
        RateLimiter limiter =
                limiter(
                        shadow(
                                limit(
                                        "try-per-ip",
                                        Stage.CONNECT,
                                        Key.CLIENT_IP,
                                        2,
                                        Duration.ofMinutes(1))));
        Subject c = client("192.0.2.1");
        assertThat(limiter.consume(Stage.CONNECT, c).shadowExceeded()).isEmpty();
        assertThat(limiter.consume(Stage.CONNECT, c).shadowExceeded()).isEmpty();
        for (int i = 0; i < 3; i++) {
            Consumption o = limiter.consume(Stage.CONNECT, c);
            assertThat(o.allowed()).isTrue();
            assertThat(o.shadowExceeded())
                    .extracting(e -> e.limit().id())
                    .containsExactly("try-per-ip");
            assertThat(o.hits())
                    .extracting(Hit::ruleId, Hit::shadow)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("ratelimit:try-per-ip", true));
        }
        assertThat(limiter.stats().shadowExceeded()).containsEntry("try-per-ip", 3L);
        assertThat(limiter.stats().refused()).isEmpty();
    }

    @Test
    void shadowLimitsCountOnlyEventsTheEnforcedLimitsLetThrough() {
        RateLimiter limiter =
                limiter(
                        limit("per-ip", Stage.CONNECT, Key.CLIENT_IP, 1, Duration.ofMinutes(1)),
                        shadow(
                                limit(
                                        "try-global",
                                        Stage.CONNECT,
                                        Key.GLOBAL,
                                        2,
                                        Duration.ofMinutes(1))));
        assertThat(limiter.consume(Stage.CONNECT, client("192.0.2.1")).allowed()).isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.consume(Stage.CONNECT, client("192.0.2.1")).allowed()).isFalse();
        }
        assertThat(limiter.consume(Stage.CONNECT, client("192.0.2.2")).shadowExceeded())
                .as("refused events did not drain the shadow bucket")
                .isEmpty();
        assertThat(limiter.consume(Stage.CONNECT, client("192.0.2.3")).shadowExceeded()).hasSize(1);
    }

    @Test
    void aRefusedEventGivesBackWhatEarlierLimitsTook() {
        RateLimiter limiter =
                limiter(
                        limit("global", Stage.MAIL, Key.GLOBAL, 10, Duration.ofHours(1)),
                        limit("per-sender", Stage.MAIL, Key.SENDER, 1, Duration.ofHours(1)));
        assertThat(limiter.consume(Stage.MAIL, mail("192.0.2.1", "flood@example.com")).allowed())
                .isTrue();
        for (int i = 0; i < 20; i++) {
            Consumption o = limiter.consume(Stage.MAIL, mail("192.0.2.1", "flood@example.com"));
            assertThat(o.refusal().orElseThrow().limit().id()).isEqualTo("per-sender");
        }
        for (int i = 0; i < 9; i++) {
            assertThat(
                            limiter.consume(
                                            Stage.MAIL,
                                            mail("192.0.2.9", "user" + i + "@example.org"))
                                    .allowed())
                    .as(
                            "sender %d: the global bucket still has the tokens the refused events"
                                    + " gave back",
                            i)
                    .isTrue();
        }
        Consumption eleventh = limiter.consume(Stage.MAIL, mail("192.0.2.9", "late@example.org"));
        assertThat(eleventh.refusal().orElseThrow().limit().id()).isEqualTo("global");
        assertThat(eleventh.refusal().orElseThrow().key()).isEqualTo("*");
        assertThat(limiter.stats().refused())
                .containsEntry("per-sender", 20L)
                .containsEntry("global", 1L);
    }

    @Test
    void nullSenderIsCountedPerClientAddress() {
        RateLimiter limiter =
                limiter(
                        limit("per-sender", Stage.MAIL, Key.SENDER, 1, Duration.ofHours(1)),
                        limit(
                                "per-sender-domain",
                                Stage.MAIL,
                                Key.SENDER_DOMAIN,
                                5,
                                Duration.ofHours(1)));
        assertThat(limiter.consume(Stage.MAIL, mail("192.0.2.1", "<>")).allowed()).isTrue();
        Consumption again = limiter.consume(Stage.MAIL, mail("192.0.2.1", "<>"));
        assertThat(again.refusal().orElseThrow().key()).isEqualTo("<>@192.0.2.1");
        assertThat(limiter.consume(Stage.MAIL, mail("192.0.2.2", "<>")).allowed()).isTrue();
    }

    @Test
    void senderAddressIgnoresCaseAndQuotingOfTheLocalPart() {
        RateLimiter limiter =
                limiter(limit("per-sender", Stage.MAIL, Key.SENDER, 2, Duration.ofHours(1)));
        assertThat(limiter.consume(Stage.MAIL, mail("192.0.2.1", "Alice@Example.COM")).allowed())
                .isTrue();
        assertThat(
                        limiter.consume(Stage.MAIL, mail("192.0.2.2", "\"alice\"@example.com"))
                                .allowed())
                .isTrue();
        Consumption third = limiter.consume(Stage.MAIL, mail("192.0.2.3", "ALICE@example.com"));
        assertThat(third.refusal().orElseThrow().key()).isEqualTo("alice@example.com");
    }

    @Test
    void senderDomainLimitSharesABucketAcrossTheDomain() {
        RateLimiter limiter =
                limiter(limit("per-domain", Stage.MAIL, Key.SENDER_DOMAIN, 2, Duration.ofHours(1)));
        assertThat(limiter.consume(Stage.MAIL, mail("192.0.2.1", "a@example.com")).allowed())
                .isTrue();
        assertThat(limiter.consume(Stage.MAIL, mail("192.0.2.2", "b@example.com")).allowed())
                .isTrue();
        assertThat(
                        limiter.consume(Stage.MAIL, mail("192.0.2.3", "c@example.com"))
                                .refusal()
                                .orElseThrow()
                                .key())
                .isEqualTo("example.com");
        assertThat(limiter.consume(Stage.MAIL, mail("192.0.2.3", "c@example.org")).allowed())
                .isTrue();
    }

    @Test
    void recipientLimitsAreCountedPerRecipientAndPerRecipientDomain() {
        RateLimiter limiter =
                limiter(
                        limit("per-rcpt", Stage.RCPT, Key.RECIPIENT, 2, Duration.ofHours(1)),
                        limit(
                                "per-rcpt-domain",
                                Stage.RCPT,
                                Key.RECIPIENT_DOMAIN,
                                3,
                                Duration.ofHours(1)));
        Subject m = mail("192.0.2.1", "a@example.com");
        assertThat(
                        limiter.consume(Stage.RCPT, m.withRecipient(Mailbox.of("x@corp.example")))
                                .allowed())
                .isTrue();
        assertThat(
                        limiter.consume(Stage.RCPT, m.withRecipient(Mailbox.of("X@corp.example")))
                                .allowed())
                .isTrue();
        Consumption third =
                limiter.consume(Stage.RCPT, m.withRecipient(Mailbox.of("x@corp.example")));
        assertThat(third.refusal().orElseThrow().limit().id()).isEqualTo("per-rcpt");
        assertThat(
                        limiter.consume(Stage.RCPT, m.withRecipient(Mailbox.of("y@corp.example")))
                                .allowed())
                .isTrue();
        Consumption domain =
                limiter.consume(Stage.RCPT, m.withRecipient(Mailbox.of("z@corp.example")));
        assertThat(domain.refusal().orElseThrow().key()).isEqualTo("corp.example");
    }

    @Test
    void limitsCountOnlyAtTheirOwnStage() {
        RateLimiter limiter =
                limiter(limit("per-ip-mail", Stage.MAIL, Key.CLIENT_IP, 1, Duration.ofHours(1)));
        for (int i = 0; i < 5; i++) {
            Consumption o = limiter.consume(Stage.CONNECT, client("192.0.2.1"));
            assertThat(o.allowed()).isTrue();
            assertThat(o.hits()).isEmpty();
        }
        assertThat(limiter.consume(Stage.MAIL, mail("192.0.2.1", "a@example.com")).allowed())
                .isTrue();
        assertThat(limiter.consume(Stage.MAIL, mail("192.0.2.1", "a@example.com")).allowed())
                .isFalse();
    }

    @Test
    void refusalIsAnAuditHitNamingTheLimit() {
        RateLimiter limiter =
                limiter(limit("per-ip", Stage.CONNECT, Key.CLIENT_IP, 1, Duration.ofMinutes(1)));
        limiter.consume(Stage.CONNECT, client("192.0.2.1"));
        List<Hit> hits = limiter.consume(Stage.CONNECT, client("192.0.2.1")).hits();
        assertThat(hits)
                .singleElement()
                .satisfies(
                        h -> {
                            assertThat(h.ruleId()).isEqualTo("ratelimit:per-ip");
                            assertThat(h.stage()).isEqualTo(Stage.CONNECT);
                            assertThat(h.shadow()).isFalse();
                            assertThat(h.detail()).contains("192.0.2.1").contains("1 per PT1M");
                        });
    }

    @Test
    void fleetLimitWithoutRedisIsCountedInProcessAndNotDegraded() {
        RateLimiter limiter =
                limiter(
                        fleet(
                                limit(
                                        "fleet-global",
                                        Stage.CONNECT,
                                        Key.GLOBAL,
                                        1,
                                        Duration.ofMinutes(1))));
        Consumption first = limiter.consume(Stage.CONNECT, client("192.0.2.1"));
        assertThat(first.allowed()).isTrue();
        assertThat(first.fleetDegraded()).isFalse();
        assertThat(limiter.consume(Stage.CONNECT, client("192.0.2.2")).allowed()).isFalse();
        assertThat(limiter.fleetConfigured()).isFalse();
        assertThat(limiter.fleetHealthy()).isFalse();
    }

    @Test
    void missingSenderAtMailIsAProgrammingErrorNamingTheLimit() {
        RateLimiter limiter =
                limiter(limit("per-sender", Stage.MAIL, Key.SENDER, 1, Duration.ofHours(1)));
        assertThatThrownBy(() -> limiter.consume(Stage.MAIL, client("192.0.2.1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "limit 'per-sender' at stage mail needs the sender, but the subject has"
                                + " none");
    }

    @Test
    void missingSizeForAByteLimitIsAProgrammingError() {
        RateLimiter limiter = limiter(bytes("octets", Key.GLOBAL, 10, Duration.ofHours(1)));
        assertThatThrownBy(() -> limiter.consume(Stage.DATA, mail("192.0.2.1", "a@example.com")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit 'octets' counts octets at stage data");
    }

    @Test
    void aSubjectMissingAFactTouchesNoBucket() {
        RateLimiter limiter =
                limiter(
                        limit("global", Stage.DATA, Key.GLOBAL, 1, Duration.ofHours(1)),
                        bytes("octets", Key.SENDER, 1_000, Duration.ofHours(1)));
        Subject noSize = mail("192.0.2.1", "a@example.com");
        assertThatThrownBy(() -> limiter.consume(Stage.DATA, noSize))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(limiter.consume(Stage.DATA, noSize.withSize(10)).allowed())
                .as("global still has its token")
                .isTrue();
    }

    @Test
    void rejectsLimitsThatCannotWorkListingEveryProblem() {
        LimitSpec zero = limit("zero", Stage.CONNECT, Key.CLIENT_IP, 0, Duration.ofMinutes(1));
        LimitSpec rcptAtConnect =
                limit("early-rcpt", Stage.CONNECT, Key.RECIPIENT, 5, Duration.ofMinutes(1));
        LimitSpec bytesAtMail =
                new LimitSpec(
                        "bytes-at-mail",
                        Stage.MAIL,
                        Key.SENDER,
                        24,
                        64,
                        5,
                        Duration.ofMinutes(1),
                        LimitSpec.Cost.BYTES,
                        LimitSpec.Scope.LOCAL,
                        false);
        LimitSpec prefix = subnet("wide", 33, 0, 5, Duration.ofMinutes(1));
        LimitSpec dup = limit("wide", Stage.CONNECT, Key.CLIENT_IP, 5, Duration.ofMinutes(1));
        assertThatThrownBy(
                        () ->
                                RateLimiter.builder(
                                                List.of(
                                                        zero,
                                                        rcptAtConnect,
                                                        bytesAtMail,
                                                        prefix,
                                                        dup))
                                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        String.join(
                                "\n",
                                "0 is not a valid capacity for limit 'zero': capacity must be"
                                        + " positive",
                                "recipient is not a valid key at stage connect for limit"
                                        + " 'early-rcpt': the recipient is known at stage rcpt only"
                                        + " (one check per recipient)",
                                "bytes is not a valid cost at stage mail for limit 'bytes-at-mail':"
                                        + " the message size is known at stage data only",
                                "33 is not a valid IPv4 prefix length for limit 'wide': it must be"
                                        + " 1..32",
                                "0 is not a valid IPv6 prefix length for limit 'wide': it must be"
                                        + " 1..128",
                                "limit 'wide' is declared twice: limit ids must be unique"));
    }

    @Test
    void aStageWithoutLimitsAnswersWithoutTouchingAnyBucket() {
        RateLimiter limiter =
                limiter(limit("per-ip", Stage.CONNECT, Key.CLIENT_IP, 1, Duration.ofMinutes(1)));
        Consumption o = limiter.consume(Stage.HELO, client("192.0.2.1"));
        assertThat(o).isEqualTo(new Consumption(Stage.HELO, Optional.empty(), List.of(), false));
        assertThat(limiter.stats().localKeys()).isZero();
    }
}
