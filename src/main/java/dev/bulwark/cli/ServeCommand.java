package dev.bulwark.cli;

import dev.bulwark.Node;
import dev.bulwark.audit.AuditSink;
import dev.bulwark.flow.Policy;
import dev.bulwark.ops.VersionInfo;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.runtime.RuntimeIntegrity;
import dev.bulwark.runtime.ServeCheck;
import dev.bulwark.site.SiteSettings;
import dev.bulwark.site.SiteSettingsException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bulwark serve [--site FILE] [--development]}: runs a node. Before anything listens, the
 * runtime checks every one of its files against its manifest and refuses to start on any
 * difference; then it loads the policy compiled into it (never a policy directory) and the site
 * settings, and serves until it is stopped.
 */
@Command(
        name = "serve",
        header = "Runs a node: the relay with the policy compiled into this runtime.",
        description = {
            "Runs a node: checks every file of this runtime against its manifest, loads the policy"
                    + " compiled into it and the site settings, then relays mail until stopped.",
            "Site settings come from --site FILE and BULWARK_* environment variables."
        },
        exitCodeList = {
            "0:stopped cleanly",
            "2:usage error",
            "78:refused to start: invalid site settings, no compiled policy, or a runtime that"
                    + " failed its self-check"
        })
final class ServeCommand implements Cli.Action {

    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    /**
     * Exit status for unusable settings or a runtime that failed its self-check (sysexits
     * EX_CONFIG).
     */
    static final int REFUSED = 78;

    @Option(names = "--site", paramLabel = "FILE", description = "the site settings file")
    private Optional<Path> siteFile = Optional.empty();

    @Option(
            names = "--development",
            description =
                    "run from a development class path (no runtime to verify); never in"
                            + " production")
    private boolean development;

    /**
     * The arguments the unit gives ({@code serve [--site FILE] [--development]}, each at most once)
     * read without picocli, whose first use costs a few hundred milliseconds of CPU before the
     * first 220 (ADR 0017). Anything else, help or a mistake included, is empty and goes through
     * picocli, which explains it.
     */
    static Optional<ServeCommand> quick(String[] args) {
        if (args.length == 0 || !args[0].equals("serve")) {
            return Optional.empty();
        }
        ServeCommand c = new ServeCommand();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--development") && !c.development) {
                c.development = true;
            } else if (args[i].equals("--site")
                    && c.siteFile.isEmpty()
                    && i + 1 < args.length
                    && !args[i + 1].startsWith("-")) {
                c.siteFile = Optional.of(Path.of(args[++i]));
            } else {
                return Optional.empty();
            }
        }
        return Optional.of(c);
    }

    @Override
    public int run(PrintStream out, PrintStream err) {
        ServeCheck check = RuntimeIntegrity.beforeServe(development);
        if (check instanceof ServeCheck.Refused refused) {
            err.println("bulwark serve: refusing to start: " + refused.reason());
            return REFUSED;
        }
        if (check instanceof ServeCheck.Development d) {
            err.println("bulwark serve: " + d.notice());
        }
        CompiledPolicy policy;
        try {
            policy = CompiledPolicy.embedded();
        } catch (IllegalStateException e) {
            err.println("bulwark serve: refusing to start: " + e.getMessage());
            return REFUSED;
        }
        VersionInfo version =
                switch (check) {
                    case ServeCheck.Verified v ->
                            new VersionInfo(
                                    v.manifest().version(),
                                    v.manifest().commit(),
                                    policy.digest(),
                                    v.manifest()
                                            .signingKey()
                                            .map(k -> "signed " + k.fingerprint())
                                            .orElse("unsigned"));
                    case ServeCheck.Development d ->
                            new VersionInfo(
                                    "development", "unknown", policy.digest(), "unverified");
                    case ServeCheck.Refused r -> throw new IllegalStateException(r.reason());
                };
        SiteSettings site;
        try {
            site = SiteSettings.load(siteFile, System.getenv());
        } catch (SiteSettingsException e) {
            e.problems().forEach(p -> err.println("bulwark serve: " + p));
            return REFUSED;
        }
        boolean verified = check instanceof ServeCheck.Verified;
        Node node;
        try {
            node =
                    Node.start(
                            site,
                            new Node.Parts(
                                    Policy.of(policy),
                                    version,
                                    () -> verified,
                                    out,
                                    AuditSink.NONE));
        } catch (SiteSettingsException e) {
            e.problems().forEach(p -> err.println("bulwark serve: " + p));
            return REFUSED;
        }
        // The stop hook before the line that says we serve: a supervisor (or a test) that stops the
        // node as soon as it reads that line must find the node able to stop cleanly.
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    log.info("stopping");
                                    node.close();
                                    stopped.countDown();
                                },
                                "bulwark-stop"));
        log.info(
                "serving SMTP on {} for {}, next hop {}, policy {}, version {} ({})",
                site.listen().getAddress().getHostAddress() + ":" + node.smtpPort(),
                String.join(" ", policy.relayDomainEntries()),
                site.nextHop(),
                policy.digest(),
                version.version(),
                version.signature());
        node.opsAddress().ifPresent(a -> log.info("operations listener on {}", a));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
