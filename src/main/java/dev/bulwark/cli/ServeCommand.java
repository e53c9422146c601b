package dev.bulwark.cli;

import dev.bulwark.Node;
import dev.bulwark.audit.AuditSink;
import dev.bulwark.flow.Policy;
import dev.bulwark.ops.Scheduler;
import dev.bulwark.ops.VersionInfo;
import dev.bulwark.policy.CompiledPolicy;
import dev.bulwark.runtime.RuntimeIntegrity;
import dev.bulwark.runtime.SelfVerification;
import dev.bulwark.runtime.ServeCheck;
import dev.bulwark.site.SiteSettings;
import dev.bulwark.site.SiteSettingsException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

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
        // The self-check and the policy load are both work on the runtime's bytes that opens no
        // socket: they run at the same time (ADR 0019), and nothing listens before the self-check
        // passed. A tampered runtime is reported before a policy that does not load, which it
        // would explain.
        boolean developmentAllowed = development;
        FutureTask<ServeCheck> selfCheck =
                new FutureTask<>(() -> RuntimeIntegrity.beforeServe(developmentAllowed));
        Thread.ofPlatform().name("bulwark-self-check").start(selfCheck);
        CompiledPolicy policy = null;
        Throwable policyProblem = null;
        try {
            policy = CompiledPolicy.embedded();
        } catch (RuntimeException | LinkageError e) {
            // Kept until the self-check has spoken: a corrupt jar fails here too (a class that
            // does not load), and the self-check names the file.
            policyProblem = e;
        }
        ServeCheck check;
        try {
            check = selfCheck.get();
        } catch (ExecutionException e) {
            err.println("bulwark serve: refusing to start: the self-check failed: " + e.getCause());
            return REFUSED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("bulwark serve: refusing to start: interrupted during the self-check");
            return REFUSED;
        }
        if (check instanceof ServeCheck.Refused refused) {
            err.println("bulwark serve: refusing to start: " + refused.reason());
            return REFUSED;
        }
        if (check instanceof ServeCheck.Development d) {
            err.println("bulwark serve: " + d.notice());
        }
        if (policyProblem != null) {
            err.println(
                    "bulwark serve: refusing to start: "
                            + (policyProblem instanceof IllegalStateException
                                    ? policyProblem.getMessage()
                                    : "the embedded policy does not load: " + policyProblem));
            return REFUSED;
        }
        VersionInfo version =
                switch (check) {
                    case ServeCheck.Verified v ->
                            new VersionInfo(
                                    v.manifest().version(),
                                    v.manifest().commit(),
                                    policy.digest(),
                                    signature(v));
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
        Node.Parts parts =
                new Node.Parts(Policy.of(policy), version, () -> verified, out, AuditSink.NONE);
        if (check instanceof ServeCheck.Verified v) {
            // Checked at start a moment ago; from here on, every interval the policy sets.
            try {
                parts =
                        parts.withIntegrity(
                                new Node.Integrity(
                                        SelfVerification.of(
                                                v.home(),
                                                Clock.systemUTC(),
                                                SelfVerification.DEFAULT_BYTES_PER_SECOND),
                                        policy.integrity(),
                                        Scheduler.daemonThread("bulwark-self-check"),
                                        Instant.now()));
            } catch (IOException | IllegalArgumentException e) {
                err.println(
                        "bulwark serve: refusing to start: cannot read the runtime's manifest"
                                + " again: "
                                + e.getMessage());
                return REFUSED;
            }
        }
        Node node;
        try {
            node = Node.start(site, parts);
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
        // Off when the runtime's archive did not match its jars (touched after unpacking): the
        // node serves the same, only its start was slower (ADR 0019).
        log.info(
                "class data sharing {}",
                System.getProperty("java.vm.info", "").contains("sharing") ? "on" : "off");
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

    /**
     * The signature as {@code /version} shows it and {@code fleet} compares it: the signing key's
     * fingerprint and the SHA-256 of {@code MANIFEST.json.sig} (the release record's {@code
     * runtimeSignature}), so two runtimes signed by one key for different manifests differ.
     */
    private static String signature(ServeCheck.Verified v) {
        return v.manifest()
                .signingKey()
                .map(
                        k ->
                                "signed "
                                        + k.fingerprint()
                                        + RuntimeIntegrity.signatureDigest(v.home())
                                                .map(d -> " sig-sha256 " + d)
                                                .orElse(""))
                .orElse("unsigned");
    }
}
