package dev.bulwark.site;

import dev.bulwark.dns.DnsSettings;
import dev.bulwark.flow.Resources;
import dev.bulwark.relay.TlsMode;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What differs between one installation and another: names, addresses, certificates. Read once at
 * start from a small {@code key = value} file and the environment ({@code BULWARK_NEXT_HOP} sets
 * {@code next-hop}), validated completely, then immutable. Site settings never change a filtering
 * decision: that is the compiled policy's job.
 *
 * @param hostname the node's name in the banner and Received headers
 * @param listen SMTP listen address
 * @param nextHop the mail server behind Bulwark
 * @param nextHopTls STARTTLS towards the next hop
 * @param nextHopCa CA certificates (PEM) to verify the next hop when {@code nextHopTls} is required
 * @param tlsCert server certificate chain (PEM) for STARTTLS
 * @param tlsKey its private key (PEM, PKCS#8)
 * @param trustedBalancers load balancers whose PROXY protocol headers are believed
 * @param metricsListen the metrics and health listener, if any
 * @param redisUri the Redis server for fleet-wide rate limits, if any
 * @param redisTimeout how long a rate-limit call may wait for Redis
 * @param auditFile a file to append audit lines to, besides standard output
 * @param spoolDirectory where large messages are spilled while they are checked
 * @param nextHopTimeout how long to wait for the next hop's reply to one command
 * @param nextHopConnections connections to the next hop open at once
 * @param resources what the node lets its clients hold at once (ADR 0016)
 * @param metricsAllow the networks the operations listener answers
 * @param metricsMaxConnections connections the operations listener serves at once
 * @param dns the resolvers sender authentication and the DNS lists ask, and the budget of one query
 * @param dnsBudget how long one transaction waits for DNS at most, over all its checks; past it the
 *     checks still running give temperror
 */
public record SiteSettings(
        String hostname,
        InetSocketAddress listen,
        HostPort nextHop,
        TlsMode nextHopTls,
        Optional<Path> nextHopCa,
        Optional<Path> tlsCert,
        Optional<Path> tlsKey,
        List<Cidr> trustedBalancers,
        Optional<InetSocketAddress> metricsListen,
        Optional<String> redisUri,
        Duration redisTimeout,
        Optional<Path> auditFile,
        Path spoolDirectory,
        Duration nextHopTimeout,
        int nextHopConnections,
        Resources resources,
        List<Cidr> metricsAllow,
        int metricsMaxConnections,
        DnsSettings dns,
        Duration dnsBudget) {

    public SiteSettings {
        Objects.requireNonNull(dns, "dns");
        Objects.requireNonNull(dnsBudget, "dnsBudget");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(nextHop, "nextHop");
        Objects.requireNonNull(resources, "resources");
        trustedBalancers = List.copyOf(trustedBalancers);
        metricsAllow = List.copyOf(metricsAllow);
    }

    /** Who may reach the operations listener when {@code metrics.allow} is not set: this host. */
    public static final List<Cidr> LOOPBACK = List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1"));

    /** A host and port, unresolved (the next hop is resolved at each connection). */
    public record HostPort(String host, int port) {
        @Override
        public String toString() {
            return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
        }
    }

    /** Every key a site file may contain, with its meaning (for errors and {@code --help}). */
    public static final Map<String, String> KEYS = keys();

    private static Map<String, String> keys() {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("hostname", "the node's host name (banner, Received header)");
        k.put("listen", "SMTP listen address, host:port (default 0.0.0.0:25)");
        k.put("next-hop", "the mail server to relay to, host:port (required)");
        k.put("next-hop.tls", "none | opportunistic | required (default none)");
        k.put(
                "next-hop.ca",
                "PEM file of CA certificates to verify the next hop (with next-hop.tls ="
                        + " required)");
        k.put("next-hop.timeout", "seconds to wait for each next-hop reply (default 60)");
        k.put("next-hop.max-connections", "connections to the next hop open at once (default 100)");
        k.put("tls.cert", "PEM certificate chain for STARTTLS");
        k.put("tls.key", "PEM (PKCS#8) private key for STARTTLS");
        k.put(
                "trusted-balancers",
                "comma-separated CIDRs whose connections start with a PROXY protocol header");
        k.put("metrics.listen", "host:port of the metrics and health listener (default: off)");
        k.put(
                "redis.uri",
                "redis://[:password@]host:port[/db] or rediss://... for fleet-wide rate limits");
        k.put("redis.timeout", "milliseconds a rate-limit call may wait for Redis (default 100)");
        k.put("audit.file", "file to append audit JSON lines to, besides standard output");
        k.put(
                "spool.dir",
                "directory for messages larger than 1 MiB while they are checked (default:"
                        + " java.io.tmpdir)");
        k.put(
                "clients.ipv4-prefix",
                "prefix length that makes an IPv4 client's subnet for the per-subnet caps"
                        + " (default 24)");
        k.put(
                "clients.ipv6-prefix",
                "prefix length that makes an IPv6 client's subnet for the per-subnet caps"
                        + " (default 64)");
        k.put(
                "clients.max-sessions-per-subnet",
                "SMTP sessions open at once from one client subnet (default 100)");
        k.put(
                "clients.max-transactions-per-client",
                "open transactions, each holding a next-hop connection, of one client address"
                        + " (default 10)");
        k.put(
                "clients.max-transactions-per-subnet",
                "open transactions, each holding a next-hop connection, of one client subnet"
                        + " (default 20)");
        k.put(
                "transaction.lifetime",
                "seconds a transaction may stay open between MAIL and its message (default 300)");
        k.put("session.lifetime", "seconds an SMTP session may last (default 1800)");
        k.put(
                "node.in-flight-mib",
                "MiB of message octets the node holds at once, in memory or spilled; at most the"
                        + " spool directory's free space (default 128)");
        k.put(
                "metrics.allow",
                "comma-separated CIDRs the metrics and health listener answers (default: loopback"
                        + " only)");
        k.put(
                "metrics.max-connections",
                "connections the metrics and health listener serves at once (default 16)");
        k.put(
                "dns.servers",
                "resolver addresses for SPF, DKIM, DMARC and DNS lists, separated by commas, each"
                        + " 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53 (default: those of"
                        + " /etc/resolv.conf)");
        k.put(
                "dns.timeout",
                "milliseconds one DNS query may take, retries included (default 2000)");
        k.put(
                "dns.budget",
                "milliseconds one transaction waits for DNS at most, all checks together; later"
                        + " results are temperror (default 5000)");
        return java.util.Collections.unmodifiableMap(k);
    }

    /**
     * Loads {@code file} (if given) with environment overrides, or explains everything wrong with
     * them: every problem, one per line, as {@code site.conf:3: error: invalid value ...}.
     */
    public static SiteSettings load(Optional<Path> file, Map<String, String> environment) {
        Problems problems = new Problems();
        Map<String, Entry> values = read(file, environment, problems);
        return parse(values, file.map(Path::toString), problems, Locator.AS_CONFIGURED)
                .orElseThrow(problems::exception);
    }

    /** Parses settings given as a map (tests, the demo). */
    public static SiteSettings of(Map<String, String> settings) {
        Map<String, Entry> values = new LinkedHashMap<>();
        Problems problems = new Problems();
        settings.forEach(
                (k, v) -> {
                    Source source = new Source("setting " + k, 0);
                    if (!KEYS.containsKey(k)) {
                        problems.add(source, unknown("'" + k + "'", k));
                    } else {
                        values.put(k, new Entry(v, source));
                    }
                });
        return parse(values, Optional.empty(), problems, Locator.AS_CONFIGURED)
                .orElseThrow(problems::exception);
    }

    /**
     * Where a setting was written: a line of the site file (the file as named by its reader), an
     * environment variable, or a key given to {@link #of}. Line 0 means no particular line.
     */
    record Source(String name, int line) {
        @Override
        public String toString() {
            return line > 0 ? name + ":" + line : name;
        }
    }

    /** One setting's value and where it was written. */
    record Entry(String value, Source source) {}

    /**
     * Where to look now for a file a setting names. Usually the file itself; the image's check
     * looks in the seed volume for what will be {@code /run/bulwark/...}. Empty: do not check the
     * file (a problem with it has been reported already).
     */
    interface Locator {
        Locator AS_CONFIGURED = (key, configured) -> Optional.of(configured);

        Optional<Path> locate(String key, Path configured);
    }

    /** Problems collected while reading and checking, reported sorted by file and line. */
    static final class Problems {
        private record Problem(Source source, String key, String message) {}

        private final List<Problem> problems = new ArrayList<>();

        void add(Source source, String message) {
            problems.add(new Problem(source, "", message));
        }

        /**
         * A bad value for {@code key}: only the first such problem is kept, so a rule with a more
         * specific message (the image's) is not followed by a general one about the same value.
         */
        void value(Source source, String key, String message) {
            if (problems.stream().noneMatch(p -> p.key().equals(key))) {
                problems.add(new Problem(source, key, message));
            }
        }

        boolean isEmpty() {
            return problems.isEmpty();
        }

        /** {@code site.conf:3: error: message}, lines of the file first, in order. */
        List<String> lines() {
            return problems.stream()
                    .sorted(
                            java.util.Comparator.comparingInt(
                                            (Problem p) ->
                                                    p.source().line() > 0
                                                            ? 0
                                                            : p.source().name().startsWith("env")
                                                                    ? 2
                                                                    : 1)
                                    .thenComparingInt(p -> p.source().line()))
                    .map(p -> p.source() + ": error: " + p.message())
                    .toList();
        }

        SiteSettingsException exception() {
            return new SiteSettingsException(lines());
        }
    }

    /** Reads the file and the {@code BULWARK_*} variables of {@code environment} into entries. */
    static Map<String, Entry> read(
            Optional<Path> file, Map<String, String> environment, Problems problems) {
        Map<String, Entry> values = new LinkedHashMap<>();
        if (file.isPresent()) {
            readFile(file.get(), values, problems);
        }
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(environment).entrySet()) {
            if (!e.getKey().startsWith("BULWARK_")) {
                continue;
            }
            String envKey = e.getKey();
            Source source = new Source("environment variable " + envKey, 0);
            String key = keyForEnvironment(envKey);
            if (key == null) {
                problems.add(
                        new Source("environment", 0),
                        unknown(
                                envKey,
                                envKey.substring(8).toLowerCase(Locale.ROOT).replace('_', '-')));
                continue;
            }
            values.put(key, new Entry(e.getValue().trim(), source));
        }
        return values;
    }

    private static void readFile(Path file, Map<String, Entry> values, Problems problems) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            problems.add(new Source(file.toString(), 0), "cannot read site settings: no such file");
            return;
        } catch (java.nio.charset.CharacterCodingException e) {
            problems.add(new Source(file.toString(), 0), "not UTF-8 text");
            return;
        } catch (IOException e) {
            problems.add(
                    new Source(file.toString(), 0), "cannot read site settings: " + e.getMessage());
            return;
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            Source where = new Source(file.toString(), i + 1);
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.chars().anyMatch(c -> Character.isISOControl(c) && c != '\t')) {
                // Values are printed on consoles and in logs: no escape sequences in them.
                problems.add(where, "line contains control characters");
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                problems.add(where, "expected 'key = value', got '" + line + "'");
                continue;
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (!KEYS.containsKey(key)) {
                problems.add(where, unknown("'" + key + "'", key));
                continue;
            }
            if (values.containsKey(key)) {
                problems.add(
                        where,
                        "'"
                                + key
                                + "' is set twice (first on line "
                                + values.get(key).source().line()
                                + ")");
                continue;
            }
            values.put(key, new Entry(value, where));
        }
    }

    /** "unknown setting 'x' (did you mean 'y'?)", or the list of site settings. */
    private static String unknown(String shown, String key) {
        String suggestion = suggestion(key);
        return "unknown setting "
                + shown
                + (suggestion.isEmpty()
                        ? ": site settings are "
                                + String.join(", ", KEYS.keySet())
                                + " (the policy is compiled into the runtime; no setting changes"
                                + " it)"
                        : suggestion);
    }

    /**
     * Checks every value; returns the settings if there was no problem, before or now.
     *
     * @param fileName the site file as named, for problems of the whole file (a missing setting)
     */
    static Optional<SiteSettings> parse(
            Map<String, Entry> v, Optional<String> fileName, Problems problems, Locator locator) {
        Parser p = new Parser(v, problems, locator);
        String hostname = p.text("hostname").orElseGet(SiteSettings::localHostName);
        if (!isHostName(hostname)) {
            if (p.text("hostname").isPresent()) {
                p.bad("hostname", "a host name such as mx1.example.com");
            } else {
                hostname = "localhost"; // the machine's own name is not one we can announce
            }
        }
        InetSocketAddress listen = p.socketAddress("listen").orElse(new InetSocketAddress(25));
        Optional<HostPort> nextHop = p.hostPort("next-hop");
        if (v.containsKey("next-hop") && v.get("next-hop").value().isEmpty()) {
            p.bad("next-hop", "host:port, such as mail.internal:25");
        } else if (!v.containsKey("next-hop")) {
            problems.add(
                    new Source(fileName.orElse("site settings"), 0),
                    "missing setting 'next-hop': the mail server to relay to, host:port");
        }
        TlsMode tls = p.choice("next-hop.tls", TlsMode.class).orElse(TlsMode.NONE);
        Optional<Path> ca = p.readableFile("next-hop.ca");
        Optional<Path> cert = p.readableFile("tls.cert");
        Optional<Path> key = p.readableFile("tls.key");
        if (v.containsKey("tls.cert") != v.containsKey("tls.key")) {
            String set = v.containsKey("tls.cert") ? "tls.cert" : "tls.key";
            String unset = set.equals("tls.cert") ? "tls.key" : "tls.cert";
            problems.add(
                    v.get(set).source(),
                    "'" + set + "' is set but '" + unset + "' is not: they must be set together");
        }
        List<Cidr> balancers = p.cidrs("trusted-balancers");
        Optional<InetSocketAddress> metrics = p.socketAddress("metrics.listen");
        Optional<String> redis = p.text("redis.uri");
        if (redis.isPresent() && !redis.get().matches("rediss?://.+")) {
            p.bad("redis.uri", "redis://[:password@]host:port[/db] or rediss://...");
        }
        Duration redisTimeout = Duration.ofMillis(p.positive("redis.timeout", 100));
        Duration nextHopTimeout = Duration.ofSeconds(p.positive("next-hop.timeout", 60));
        int nextHopConnections =
                (int) Math.min(100_000, p.positive("next-hop.max-connections", 100));
        Optional<Path> audit = p.text("audit.file").map(Path::of);
        Path spool = p.directory("spool.dir").orElse(Path.of(System.getProperty("java.io.tmpdir")));
        Resources defaults = Resources.defaults();
        long ipv4Prefix = p.positive("clients.ipv4-prefix", defaults.ipv4Prefix());
        if (ipv4Prefix > 32) {
            p.bad("clients.ipv4-prefix", "a prefix length from 1 to 32");
        }
        long ipv6Prefix = p.positive("clients.ipv6-prefix", defaults.ipv6Prefix());
        if (ipv6Prefix > 128) {
            p.bad("clients.ipv6-prefix", "a prefix length from 1 to 128");
        }
        int sessionsPerSubnet =
                (int)
                        Math.min(
                                1_000_000,
                                p.positive(
                                        "clients.max-sessions-per-subnet",
                                        defaults.maxSessionsPerSubnet()));
        int transactionsPerClient =
                (int)
                        Math.min(
                                1_000_000,
                                p.positive(
                                        "clients.max-transactions-per-client",
                                        defaults.maxTransactionsPerClient()));
        int transactionsPerSubnet =
                (int)
                        Math.min(
                                1_000_000,
                                p.positive(
                                        "clients.max-transactions-per-subnet",
                                        defaults.maxTransactionsPerSubnet()));
        Duration transactionLifetime =
                Duration.ofSeconds(
                        p.positive(
                                "transaction.lifetime",
                                defaults.transactionLifetime().toSeconds()));
        Duration sessionLifetime =
                Duration.ofSeconds(
                        p.positive("session.lifetime", defaults.sessionLifetime().toSeconds()));
        long inFlightMib =
                Math.min(
                        1L << 20, p.positive("node.in-flight-mib", defaults.inFlightBytes() >> 20));
        List<Cidr> metricsAllow =
                v.containsKey("metrics.allow") ? p.cidrs("metrics.allow") : LOOPBACK;
        int metricsConnections = (int) Math.min(10_000, p.positive("metrics.max-connections", 16));
        Optional<List<InetSocketAddress>> resolvers = p.resolvers("dns.servers");
        Duration dnsTimeout =
                Duration.ofMillis(
                        p.positive("dns.timeout", DnsSettings.DEFAULT_TIMEOUT.toMillis()));
        Duration dnsBudget = Duration.ofMillis(p.positive("dns.budget", 5000));
        if (!problems.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(
                new SiteSettings(
                        hostname,
                        listen,
                        nextHop.orElseThrow(),
                        tls,
                        ca,
                        cert,
                        key,
                        balancers,
                        metrics,
                        redis,
                        redisTimeout,
                        audit,
                        spool,
                        nextHopTimeout,
                        nextHopConnections,
                        new Resources(
                                (int) ipv4Prefix,
                                (int) ipv6Prefix,
                                sessionsPerSubnet,
                                transactionsPerClient,
                                transactionsPerSubnet,
                                transactionLifetime,
                                sessionLifetime,
                                inFlightMib << 20),
                        metricsAllow,
                        metricsConnections,
                        resolvers
                                .map(DnsSettings::of)
                                .orElseGet(DnsSettings::system)
                                .withTimeout(dnsTimeout),
                        dnsBudget));
    }

    private static boolean isHostName(String name) {
        return name.length() <= 253
                && name.matches(
                        "[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*");
    }

    private static String localHostName() {
        try {
            String name = java.net.InetAddress.getLocalHost().getCanonicalHostName();
            return name.matches("[A-Za-z0-9.-]+") && !name.isEmpty() ? name : "localhost";
        } catch (IOException e) {
            return "localhost";
        }
    }

    static String keyForEnvironment(String env) {
        for (String key : KEYS.keySet()) {
            String e =
                    "BULWARK_" + key.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
            if (e.equals(env)) {
                return key;
            }
        }
        return null;
    }

    static String suggestion(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : KEYS.keySet()) {
            int d = distance(k, key);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return best != null && bestDistance <= Math.max(2, key.length() / 3)
                ? " (did you mean '" + best + "'?)"
                : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Reads typed values, recording "where: invalid value 'x' for key: expected ..." problems. */
    private record Parser(Map<String, Entry> values, Problems problems, Locator locator) {

        Optional<String> text(String key) {
            Entry e = values.get(key);
            return e == null || e.value().isEmpty() ? Optional.empty() : Optional.of(e.value());
        }

        void bad(String key, String expected) {
            bad(key, values.get(key).value(), expected);
        }

        void bad(String key, String value, String expected) {
            Entry e = values.get(key);
            String message =
                    "invalid value '" + value + "' for '" + key + "': expected " + expected;
            if (value.equals(e.value())) {
                problems.value(e.source(), key, message);
            } else {
                problems.add(e.source(), message); // one of several parts of the value
            }
        }

        Optional<HostPort> hostPort(String key) {
            Optional<String> t = text(key);
            if (t.isEmpty()) {
                return Optional.empty();
            }
            String s = t.get();
            int colon = s.lastIndexOf(':');
            String host = colon < 0 ? "" : s.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port = colon < 0 ? -1 : parsePort(s.substring(colon + 1));
            // Port 0 (any free port) only makes sense for our own listeners, as in tests and the
            // demo.
            boolean listener = key.endsWith("listen");
            boolean validHost =
                    host.contains(":") ? host.matches("[0-9A-Fa-f:.]+") : isHostName(host);
            if (!validHost || port < (listener ? 0 : 1)) {
                bad(key, "host:port, such as mail.internal:25");
                return Optional.empty();
            }
            return Optional.of(new HostPort(host, port));
        }

        Optional<InetSocketAddress> socketAddress(String key) {
            Optional<HostPort> hp = hostPort(key);
            if (hp.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(
                        new InetSocketAddress(
                                java.net.InetAddress.getByName(hp.get().host()), hp.get().port()));
            } catch (java.net.UnknownHostException e) {
                bad(key, "a local address and port, such as 0.0.0.0:25");
                return Optional.empty();
            }
        }

        <E extends Enum<E>> Optional<E> choice(String key, Class<E> type) {
            Optional<String> t = text(key);
            if (t.isEmpty()) {
                return Optional.empty();
            }
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(t.get())) {
                    return Optional.of(e);
                }
            }
            List<String> names = new ArrayList<>();
            for (E e : type.getEnumConstants()) {
                names.add(e.name().toLowerCase(Locale.ROOT));
            }
            bad(key, "one of " + String.join(", ", names));
            return Optional.empty();
        }

        Optional<Path> readableFile(String key) {
            Optional<String> t = text(key);
            if (t.isEmpty()) {
                return Optional.empty();
            }
            Path p = Path.of(t.get());
            Optional<Path> now = locator.locate(key, p);
            if (now.isPresent()
                    && (!Files.isRegularFile(now.get()) || !Files.isReadable(now.get()))) {
                bad(key, "a readable file");
                return Optional.empty();
            }
            return Optional.of(p);
        }

        Optional<Path> directory(String key) {
            Optional<String> t = text(key);
            if (t.isEmpty()) {
                return Optional.empty();
            }
            Path p = Path.of(t.get());
            if (!Files.isDirectory(p) || !Files.isWritable(p)) {
                bad(key, "a writable directory");
                return Optional.empty();
            }
            return Optional.of(p);
        }

        List<Cidr> cidrs(String key) {
            Optional<String> t = text(key);
            if (t.isEmpty()) {
                return List.of();
            }
            List<Cidr> out = new ArrayList<>();
            boolean valid = true;
            for (String part : t.get().split(",")) {
                try {
                    out.add(Cidr.parse(part.strip()));
                } catch (IllegalArgumentException e) {
                    bad(
                            key,
                            part.strip(),
                            "addresses or CIDR blocks, separated by commas ("
                                    + e.getMessage()
                                    + ")");
                    valid = false;
                }
            }
            return valid ? out : List.of();
        }

        /** A list of resolver addresses ({@link DnsSettings#parseServers}); empty when not set. */
        Optional<List<InetSocketAddress>> resolvers(String key) {
            Optional<String> t = text(key);
            if (t.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(DnsSettings.parseServers(t.get()));
            } catch (IllegalArgumentException e) {
                bad(key, "IP addresses of resolvers, separated by commas (" + e.getMessage() + ")");
                return Optional.empty();
            }
        }

        long positive(String key, long fallback) {
            Optional<String> t = text(key);
            if (t.isEmpty()) {
                return fallback;
            }
            try {
                long n = Long.parseLong(t.get());
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            bad(key, "a positive whole number");
            return fallback;
        }

        private static int parsePort(String s) {
            try {
                int p = Integer.parseInt(s);
                return p >= 0 && p <= 65535 ? p : -1;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }
}
