package dev.bulwark.ratelimit;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the fleet-wide rate-limit buckets live: one standalone Redis server (or a proxy in front of
 * one, such as a managed service endpoint). A site setting: it differs between staging and
 * production and only chooses where buckets are counted, never what a limit allows.
 *
 * @param host host name or IP address (an IPv6 address without brackets)
 * @param port TCP port, 1..65535
 * @param database Redis logical database, 0..15 by Redis' default configuration
 * @param username ACL user name (Redis 6+), if any
 * @param password password, if any; never printed by {@link #toString()}
 * @param tls speak TLS ({@code rediss://}), verifying the server's certificate and host name
 * @param trustedCertificates PEM file of CA certificates to trust instead of the JDK's defaults
 * @param timeout bound on one Redis call; past it the node uses its local buckets
 * @param connectTimeout bound on opening a connection (TCP and TLS handshake)
 * @param probeMin first wait before asking Redis again after it failed
 * @param probeMax longest wait between two probes (the wait doubles from {@code probeMin})
 * @param keyPrefix prefix of every bucket key in Redis, so that several deployments (or other
 *     programs) can share one server without sharing buckets
 */
public record RedisSettings(
        String host,
        int port,
        int database,
        Optional<String> username,
        Optional<String> password,
        boolean tls,
        Optional<Path> trustedCertificates,
        Duration timeout,
        Duration connectTimeout,
        Duration probeMin,
        Duration probeMax,
        String keyPrefix) {

    public static final int DEFAULT_PORT = 6379;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(100);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);
    public static final Duration DEFAULT_PROBE_MIN = Duration.ofSeconds(1);
    public static final Duration DEFAULT_PROBE_MAX = Duration.ofSeconds(30);
    public static final String DEFAULT_KEY_PREFIX = "bulwark:rl:";

    public RedisSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(trustedCertificates, "trustedCertificates");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(probeMin, "probeMin");
        Objects.requireNonNull(probeMax, "probeMax");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        if (host.isEmpty()) {
            throw new IllegalArgumentException(
                    "'' is not a valid Redis host: it must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(
                    port + " is not a valid Redis port: it must be 1..65535");
        }
        if (database < 0) {
            throw new IllegalArgumentException(
                    database + " is not a valid Redis database: it must be >= 0");
        }
        positive(timeout, "timeout");
        positive(connectTimeout, "connect timeout");
        positive(probeMin, "probe interval");
        if (probeMax.compareTo(probeMin) < 0) {
            throw new IllegalArgumentException(
                    probeMax + " is not a valid longest probe interval: it must be >= " + probeMin);
        }
        if (trustedCertificates.isPresent() && !tls) {
            throw new IllegalArgumentException(
                    "trusted certificates "
                            + trustedCertificates.get()
                            + " are set but the Redis URI does not use TLS: use rediss://");
        }
    }

    private static void positive(Duration d, String what) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(
                    d + " is not a valid Redis " + what + ": it must be positive");
        }
    }

    /**
     * Parses {@code redis://[[user]:password@]host[:port][/db]} or the same with {@code rediss://}
     * for TLS. The password (and user) may be percent-encoded; IPv6 hosts are written in brackets.
     * Every other setting takes its default. No query parameters, sentinel or cluster forms.
     *
     * @throws IllegalArgumentException naming the value (password masked) and what is wrong with
     *     it; the caller prefixes the site-setting key
     */
    public static RedisSettings parse(String uri) {
        Objects.requireNonNull(uri, "uri");
        String shown = masked(uri);
        URI parsed;
        try {
            parsed = new URI(uri.strip());
        } catch (URISyntaxException e) {
            throw invalid(shown, "it is not a URI (" + e.getReason() + ")");
        }
        String scheme = parsed.getScheme();
        boolean tls;
        if ("redis".equalsIgnoreCase(scheme)) {
            tls = false;
        } else if ("rediss".equalsIgnoreCase(scheme)) {
            tls = true;
        } else {
            throw invalid(shown, "the scheme must be redis:// or rediss://");
        }
        if (parsed.isOpaque()) {
            throw invalid(shown, "expected redis://host:port");
        }
        String host = parsed.getHost();
        if (host == null || host.isEmpty()) {
            throw invalid(shown, "no host (or a malformed host or port)");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = parsed.getPort() < 0 ? DEFAULT_PORT : parsed.getPort();
        if (port < 1 || port > 65535) {
            throw invalid(shown, "the port must be 1..65535");
        }
        int database = 0;
        String path = parsed.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            String db = path.substring(1);
            if (!db.matches("[0-9]{1,4}")) {
                throw invalid(shown, "the path must be a database number such as /0");
            }
            database = Integer.parseInt(db);
        }
        if (parsed.getRawQuery() != null || parsed.getRawFragment() != null) {
            throw invalid(shown, "query parameters and fragments are not supported");
        }
        Optional<String> username = Optional.empty();
        Optional<String> password = Optional.empty();
        String userInfo = parsed.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
            String pass = colon < 0 ? "" : userInfo.substring(colon + 1);
            if (colon < 0) {
                // redis://secret@host is how several tools spell a password-only URI.
                pass = user;
                user = "";
            }
            if (!user.isEmpty()) {
                username = Optional.of(decode(user));
            }
            if (!pass.isEmpty()) {
                password = Optional.of(decode(pass));
            }
        }
        return new RedisSettings(
                host,
                port,
                database,
                username,
                password,
                tls,
                Optional.empty(),
                DEFAULT_TIMEOUT,
                DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_PROBE_MIN,
                DEFAULT_PROBE_MAX,
                DEFAULT_KEY_PREFIX);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static IllegalArgumentException invalid(String shown, String why) {
        return new IllegalArgumentException("'" + shown + "' is not a valid Redis URI: " + why);
    }

    /** The URI with any password replaced by {@code ***}, for messages and logs. */
    static String masked(String uri) {
        int scheme = uri.indexOf("://");
        int at = uri.lastIndexOf('@');
        if (scheme < 0 || at < scheme) {
            return uri;
        }
        String userInfo = uri.substring(scheme + 3, at);
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? "" : userInfo.substring(0, colon);
        return uri.substring(0, scheme + 3) + user + ":***" + uri.substring(at);
    }

    public RedisSettings withTimeout(Duration value) {
        return new RedisSettings(
                host,
                port,
                database,
                username,
                password,
                tls,
                trustedCertificates,
                value,
                connectTimeout,
                probeMin,
                probeMax,
                keyPrefix);
    }

    public RedisSettings withConnectTimeout(Duration value) {
        return new RedisSettings(
                host,
                port,
                database,
                username,
                password,
                tls,
                trustedCertificates,
                timeout,
                value,
                probeMin,
                probeMax,
                keyPrefix);
    }

    public RedisSettings withProbeBackoff(Duration min, Duration max) {
        return new RedisSettings(
                host,
                port,
                database,
                username,
                password,
                tls,
                trustedCertificates,
                timeout,
                connectTimeout,
                min,
                max,
                keyPrefix);
    }

    public RedisSettings withTrustedCertificates(Path pemFile) {
        return new RedisSettings(
                host,
                port,
                database,
                username,
                password,
                tls,
                Optional.of(pemFile),
                timeout,
                connectTimeout,
                probeMin,
                probeMax,
                keyPrefix);
    }

    public RedisSettings withKeyPrefix(String value) {
        return new RedisSettings(
                host,
                port,
                database,
                username,
                password,
                tls,
                trustedCertificates,
                timeout,
                connectTimeout,
                probeMin,
                probeMax,
                value);
    }

    /** {@code redis[s]://host:port/db} without credentials, for logs and metrics labels. */
    public String endpoint() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return (tls ? "rediss://" : "redis://") + h + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return "RedisSettings["
                + endpoint()
                + (username.isPresent() ? ", user " + username.get() : "")
                + (password.isPresent() ? ", password ***" : "")
                + trustedCertificates.map(p -> ", trust " + p).orElse("")
                + ", timeout "
                + timeout
                + ", connect timeout "
                + connectTimeout
                + ", probe "
                + probeMin
                + ".."
                + probeMax
                + ", key prefix '"
                + keyPrefix
                + "']";
    }
}
