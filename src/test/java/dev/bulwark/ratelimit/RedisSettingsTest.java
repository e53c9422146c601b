package dev.bulwark.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

class RedisSettingsTest {

    @Test
    void plainUriTakesDefaultPortAndDatabase() {
        RedisSettings s = RedisSettings.parse("redis://redis.internal");
        assertThat(s.host()).isEqualTo("redis.internal");
        assertThat(s.port()).isEqualTo(6379);
        assertThat(s.database()).isZero();
        assertThat(s.password()).isEmpty();
        assertThat(s.tls()).isFalse();
        assertThat(s.timeout()).isEqualTo(Duration.ofMillis(100));
        assertThat(s.keyPrefix()).isEqualTo("bulwark:rl:");
    }

    @Test
    void passwordPortAndDatabase() {
        RedisSettings s = RedisSettings.parse("redis://:s3cr%40t@10.0.0.5:6380/2");
        assertThat(s.host()).isEqualTo("10.0.0.5");
        assertThat(s.port()).isEqualTo(6380);
        assertThat(s.database()).isEqualTo(2);
        assertThat(s.username()).isEmpty();
        assertThat(s.password()).contains("s3cr@t");
    }

    @Test
    void userAndPasswordForRedisAcls() {
        RedisSettings s = RedisSettings.parse("rediss://bulwark:pw@redis.internal:6390");
        assertThat(s.username()).contains("bulwark");
        assertThat(s.password()).contains("pw");
        assertThat(s.tls()).isTrue();
        assertThat(s.endpoint()).isEqualTo("rediss://redis.internal:6390/0");
    }

    @Test
    void passwordWithoutColonIsAPassword() {
        assertThat(RedisSettings.parse("redis://secret@h").password()).contains("secret");
    }

    @Test
    void ipv6HostInBrackets() {
        RedisSettings s = RedisSettings.parse("redis://[::1]:7000");
        assertThat(s.host()).isEqualTo("::1");
        assertThat(s.endpoint()).isEqualTo("redis://[::1]:7000/0");
    }

    @Test
    void toStringNeverShowsThePassword() {
        RedisSettings s = RedisSettings.parse("redis://user:hunter2@h:1");
        assertThat(s.toString())
                .doesNotContain("hunter2")
                .contains("password ***")
                .contains("redis://h:1/0");
    }

    @Test
    void errorsNameTheValueWithThePasswordMasked() {
        assertThatThrownBy(() -> RedisSettings.parse("http://:hunter2@h:1"))
                .hasMessage(
                        "'http://:***@h:1' is not a valid Redis URI: the scheme must be redis:// or"
                                + " rediss://");
        assertThatThrownBy(() -> RedisSettings.parse("redis://h:1/x"))
                .hasMessage(
                        "'redis://h:1/x' is not a valid Redis URI: the path must be a database"
                                + " number such as /0");
        assertThatThrownBy(() -> RedisSettings.parse("redis://h:99999"))
                .hasMessage(
                        "'redis://h:99999' is not a valid Redis URI: the port must be 1..65535");
        assertThatThrownBy(() -> RedisSettings.parse("redis://h?timeout=1"))
                .hasMessage(
                        "'redis://h?timeout=1' is not a valid Redis URI: query parameters and"
                                + " fragments are not supported");
        assertThatThrownBy(() -> RedisSettings.parse("redis://"))
                .hasMessageStartingWith("'redis://' is not a valid Redis URI: ");
    }

    @Test
    void trustedCertificatesNeedTls() {
        assertThatThrownBy(
                        () ->
                                RedisSettings.parse("redis://h")
                                        .withTrustedCertificates(Path.of("/etc/ca.pem")))
                .hasMessageContaining("use rediss://");
        assertThat(
                        RedisSettings.parse("rediss://h")
                                .withTrustedCertificates(Path.of("/etc/ca.pem"))
                                .trustedCertificates())
                .isEqualTo(Optional.of(Path.of("/etc/ca.pem")));
    }

    @Test
    void timeoutsMustBePositive() {
        assertThatThrownBy(() -> RedisSettings.parse("redis://h").withTimeout(Duration.ZERO))
                .hasMessage("PT0S is not a valid Redis timeout: it must be positive");
    }
}
