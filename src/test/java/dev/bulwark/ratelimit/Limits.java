package dev.bulwark.ratelimit;

import dev.bulwark.check.Stage;

import java.time.Duration;

/** Short ways to write the limits tests need. */
final class Limits {

    private Limits() {}

    static LimitSpec limit(
            String id, Stage stage, LimitSpec.Key key, long capacity, Duration period) {
        return new LimitSpec(
                id,
                stage,
                key,
                24,
                64,
                capacity,
                period,
                LimitSpec.Cost.COUNT,
                LimitSpec.Scope.LOCAL,
                false);
    }

    static LimitSpec subnet(String id, int v4, int v6, long capacity, Duration period) {
        return new LimitSpec(
                id,
                Stage.CONNECT,
                LimitSpec.Key.CLIENT_SUBNET,
                v4,
                v6,
                capacity,
                period,
                LimitSpec.Cost.COUNT,
                LimitSpec.Scope.LOCAL,
                false);
    }

    static LimitSpec bytes(String id, LimitSpec.Key key, long capacity, Duration period) {
        return new LimitSpec(
                id,
                Stage.DATA,
                key,
                24,
                64,
                capacity,
                period,
                LimitSpec.Cost.BYTES,
                LimitSpec.Scope.LOCAL,
                false);
    }

    static LimitSpec shadow(LimitSpec s) {
        return new LimitSpec(
                s.id(),
                s.stage(),
                s.key(),
                s.ipv4Prefix(),
                s.ipv6Prefix(),
                s.capacity(),
                s.period(),
                s.cost(),
                s.scope(),
                true);
    }

    static LimitSpec fleet(LimitSpec s) {
        return new LimitSpec(
                s.id(),
                s.stage(),
                s.key(),
                s.ipv4Prefix(),
                s.ipv6Prefix(),
                s.capacity(),
                s.period(),
                s.cost(),
                LimitSpec.Scope.FLEET,
                s.shadow());
    }
}
