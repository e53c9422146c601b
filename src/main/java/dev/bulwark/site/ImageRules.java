package dev.bulwark.site;

import dev.bulwark.site.SiteSettings.Entry;
import dev.bulwark.site.SiteSettings.Problems;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What the VM image adds to the rules every site file follows. On a node the site file comes from
 * the seed volume and is copied to {@code /run/bulwark/} with the files it names; the firewall
 * opens only SMTP and one metrics port; the relay may write only its private {@code /tmp}, {@code
 * /var/tmp} and {@code /var/log/bulwark/}. A setting the image could not honour is refused at boot,
 * before the relay starts, rather than failing later or silently differently.
 *
 * @param seed the directory holding the seed's {@code site.conf} and the files it names
 * @param smtpPort the SMTP port the firewall opens (25)
 * @param metricsPort the metrics port the firewall opens ({@code METRICS_PORT} in {@code
 *     /etc/bulwark/release})
 */
record ImageRules(Path seed, int smtpPort, int metricsPort) {

    /** Where the seed's files are published on the node, and where settings must name them. */
    static final String SITE_DIR = "/run/bulwark/";

    /** The largest file a setting may name: certificates and keys are a few KiB. */
    static final long MAX_FILE_BYTES = 1024 * 1024;

    private static final java.util.List<String> FILE_KEYS =
            java.util.List.of("next-hop.ca", "tls.cert", "tls.key");

    void check(Map<String, Entry> values, Problems problems) {
        port(values, problems, "listen", smtpPort, "the only SMTP port");
        port(values, problems, "metrics.listen", metricsPort, "the metrics port");
        Entry spool = values.get("spool.dir");
        if (spool != null && !spool.value().matches("/tmp/?|/var/tmp/?")) {
            bad(
                    problems,
                    "spool.dir",
                    spool,
                    "/tmp or /var/tmp, the relay's private scratch space on the image");
        }
        Entry audit = values.get("audit.file");
        if (audit != null
                && (!audit.value().startsWith("/var/log/bulwark/")
                        || audit.value().endsWith("/")
                        || audit.value().matches(".*(^|/)\\.\\.(/|$).*"))) {
            bad(
                    problems,
                    "audit.file",
                    audit,
                    "a file under /var/log/bulwark/, the only place the relay may write on the"
                            + " image");
        }
        for (String key : FILE_KEYS) {
            Entry e = values.get(key);
            if (e == null || e.value().isEmpty()) {
                continue;
            }
            Optional<String> name = seedName(e.value());
            if (name.isEmpty()) {
                bad(
                        problems,
                        key,
                        e,
                        SITE_DIR + "<file>, a file carried in the seed's bulwark/ directory");
                continue;
            }
            Path file = seed.resolve(name.get());
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                problems.value(
                        e.source(),
                        key,
                        "invalid value '"
                                + e.value()
                                + "' for '"
                                + key
                                + "': the seed has no bulwark/"
                                + name.get());
                continue;
            }
            try {
                long size = Files.size(file);
                if (size > MAX_FILE_BYTES) {
                    problems.value(
                            e.source(),
                            key,
                            "invalid value '"
                                    + e.value()
                                    + "' for '"
                                    + key
                                    + "': bulwark/"
                                    + name.get()
                                    + " is "
                                    + size
                                    + " bytes, more than the "
                                    + MAX_FILE_BYTES
                                    + " a seed file may have");
                }
            } catch (IOException ex) {
                problems.add(e.source(), "cannot read bulwark/" + name.get() + ": " + ex);
            }
        }
    }

    /**
     * Where to find now what the node will read from {@code /run/bulwark/NAME}: the seed's copy.
     * Files outside it, or missing, have been reported by {@link #check}.
     */
    SiteSettings.Locator locator() {
        return (key, configured) ->
                seedName(configured.toString())
                        .map(seed::resolve)
                        .filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS));
    }

    /** {@code NAME} of {@code /run/bulwark/NAME}, a plain file name. */
    private static Optional<String> seedName(String value) {
        if (!value.startsWith(SITE_DIR)) {
            return Optional.empty();
        }
        String name = value.substring(SITE_DIR.length());
        return name.matches("[A-Za-z0-9_-][A-Za-z0-9._-]*") ? Optional.of(name) : Optional.empty();
    }

    private static void port(
            Map<String, Entry> values, Problems problems, String key, int port, String which) {
        Entry e = values.get(key);
        if (e == null || e.value().isEmpty()) {
            return;
        }
        int colon = e.value().lastIndexOf(':');
        String given = colon < 0 ? "" : e.value().substring(colon + 1);
        if (!given.matches("[0-9]{1,5}") || Integer.parseInt(given) == port) {
            return; // not host:port at all: the common rules say so
        }
        bad(
                problems,
                key,
                e,
                "port "
                        + port
                        + ", "
                        + which
                        + " the image's firewall opens (such as 0.0.0.0:"
                        + port
                        + ")");
    }

    private static void bad(Problems problems, String key, Entry e, String expected) {
        problems.value(
                e.source(),
                key,
                "invalid value '" + e.value() + "' for '" + key + "': expected " + expected);
    }
}
