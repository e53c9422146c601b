package dev.bulwark.site;

import dev.bulwark.site.SiteSettings.Entry;
import dev.bulwark.site.SiteSettings.Problems;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code bulwark site check}: the one validator of site settings. It reads a site file exactly as
 * {@code serve} does ({@link SiteSettings}), and also opens the TLS files it names as the node
 * would when it starts, so a file that passes here is one {@code serve} accepts. With the image's
 * rules ({@link Image}) it is also what the VM image runs at boot on the seed volume's {@code
 * site.conf}: there is no second validator to drift from this one.
 */
public final class SiteCheck {

    private SiteCheck() {}

    /** sysexits EX_CONFIG: the settings cannot be used. */
    public static final int INVALID = 78;

    /**
     * The VM image's extra rules: ports its firewall opens, files carried on the seed volume (named
     * {@code /run/bulwark/NAME}, looked for beside the site file, at most 1 MiB), and the only
     * places the relay may write. The environment is ignored: the node's unit sets none.
     *
     * @param smtpPort the SMTP port the firewall opens
     * @param metricsPort the metrics port the firewall opens
     */
    public record Image(int smtpPort, int metricsPort) {
        /** The image's ports: SMTP on 25, metrics on 9025 unless the release says otherwise. */
        public static final Image DEFAULT = new Image(25, 9025);
    }

    /**
     * Every problem with {@code file} (and, without {@code image}, the {@code BULWARK_*} variables
     * of {@code environment}), as {@code site.conf:3: error: ...} lines sorted by line; empty when
     * the settings are valid. Problems are named by the file as given.
     */
    public static List<String> check(
            Path file, Optional<Image> image, Map<String, String> environment) {
        Problems problems = new Problems();
        Map<String, Entry> values =
                SiteSettings.read(
                        Optional.of(file), image.isPresent() ? Map.of() : environment, problems);
        SiteSettings.Locator locator = SiteSettings.Locator.AS_CONFIGURED;
        if (image.isPresent()) {
            Path seed = file.toAbsolutePath().getParent();
            ImageRules rules =
                    new ImageRules(seed, image.get().smtpPort(), image.get().metricsPort());
            rules.check(values, problems);
            locator = rules.locator();
        }
        Optional<SiteSettings> settings =
                SiteSettings.parse(values, Optional.of(file.toString()), problems, locator);
        if (settings.isPresent()) {
            tls(settings.get(), values, locator, problems);
        }
        return problems.lines();
    }

    /** Opens the TLS files as the node will at start (certificate chain, key, CA list). */
    private static void tls(
            SiteSettings s,
            Map<String, Entry> values,
            SiteSettings.Locator locator,
            Problems problems) {
        if (s.tlsCert().isPresent() && s.tlsKey().isPresent()) {
            Optional<Path> cert = locator.locate("tls.cert", s.tlsCert().get());
            Optional<Path> key = locator.locate("tls.key", s.tlsKey().get());
            if (cert.isPresent() && key.isPresent()) {
                try {
                    Pem.server(cert.get(), key.get());
                } catch (GeneralSecurityException | IOException | RuntimeException e) {
                    problems.add(
                            values.get("tls.cert").source(),
                            "cannot use 'tls.cert' "
                                    + s.tlsCert().get()
                                    + " with 'tls.key' "
                                    + s.tlsKey().get()
                                    + " for STARTTLS: "
                                    + reason(e));
                }
            }
        }
        if (s.nextHopCa().isPresent()) {
            Optional<Path> ca = locator.locate("next-hop.ca", s.nextHopCa().get());
            if (ca.isPresent()) {
                try {
                    Pem.trust(ca.get());
                } catch (GeneralSecurityException | IOException | RuntimeException e) {
                    problems.add(
                            values.get("next-hop.ca").source(),
                            "cannot use 'next-hop.ca' "
                                    + s.nextHopCa().get()
                                    + " as CA certificates: "
                                    + reason(e));
                }
            }
        }
    }

    private static String reason(Exception e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
