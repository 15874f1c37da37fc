package org.mxtrap.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.LogSettings;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.observe.Events;
import org.mxtrap.observe.Logs;
import org.mxtrap.postfix.PolicyServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code mxtrap serve}: runs this host until SIGTERM or SIGINT, then stops gracefully: no new
 * connections, open sessions get {@code --grace} to finish, acknowledged mail stays in the spool,
 * and the process exits 0. SIGHUP reloads the config file ({@link MxtrapApp#reload}). Exit 2 for a
 * config error, 1 when a listener cannot be bound.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Run the listeners, queue and delivery of this host.",
      "Without a config file: the demo layout (example.test on 127.0.0.1:2525, traps on :2526"
          + " and :2527, data in ./data). Stops gracefully on SIGTERM or SIGINT; SIGHUP reloads"
          + " the config file (see mxtrap reload)."
    })
final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger("master");

  @Mixin ConfigOption config;
  @Spec CommandSpec spec;

  @Option(
      names = "--grace",
      paramLabel = "SECONDS",
      defaultValue = "30",
      description = "on SIGTERM, how long open sessions may go on (default: ${DEFAULT-VALUE})")
  int graceSeconds;

  @Override
  public Integer call() throws ConfigException, IOException, InterruptedException {
    return run(spec, config.load(), graceSeconds);
  }

  /**
   * Runs the host of {@code c} until SIGTERM or SIGINT (also for {@code mxtrap policy}, which
   * passes a config without listeners).
   *
   * @return 1 when the host cannot start; a stop ends the process with 0 itself
   */
  static int run(CommandSpec spec, MxtrapConfig c, int graceSeconds)
      throws ConfigException, IOException, InterruptedException {
    boolean json = c.log().format() == LogSettings.Format.JSON;
    if (json) {
      Logs.writeJson();
    }
    exitOnFatalErrors();
    log.info("effective configuration:\n{}", c.describe());
    MxtrapApp app;
    try {
      // Milliseconds: times in logs, the decision log and suppressions read like Postfix's.
      app = MxtrapApp.start(c, Clock.tick(Clock.systemUTC(), Duration.ofMillis(1)), Events.NONE);
    } catch (IOException e) {
      spec.commandLine().getErr().println("mxtrap: cannot start: " + e.getMessage());
      return 1;
    }
    String summary = summary(c, app.boundAddresses(), app.policyAddress());
    if (json) {
      // Standard output is for the log shipper: every line of it one JSON object.
      log.info("{}", summary);
    } else {
      PrintWriter out = spec.commandLine().getOut();
      out.println(summary);
      out.flush();
    }
    reloadOnHangup(app);
    notifyReady();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  app.stop(Duration.ofSeconds(graceSeconds));
                  stopped.countDown();
                  // A completed graceful stop is a success: exit 0, not the JVM's 143 for
                  // SIGTERM, so service managers need no SuccessExitStatus override.
                  Logs.shutdown();
                  System.out.flush();
                  Runtime.getRuntime().halt(0);
                },
                "shutdown"));
    stopped.await();
    return 0;
  }

  /**
   * A process that ran out of memory (or hit another {@link VirtualMachineError}) in any thread
   * ends at once with exit 3, so its supervisor restarts it, rather than lingering with dead
   * threads behind a listening port. The launcher also passes {@code -XX:+ExitOnOutOfMemoryError},
   * which acts before any handler could fail for want of memory; this covers {@code java -jar}.
   */
  private static void exitOnFatalErrors() {
    Thread.setDefaultUncaughtExceptionHandler(
        (t, e) -> {
          if (e instanceof VirtualMachineError) {
            try {
              System.err.println("mxtrap: fatal " + e + " in thread " + t.getName() + "; exiting");
            } finally {
              Runtime.getRuntime().halt(3);
            }
          }
          log.error("uncaught exception in thread {}", t.getName(), e);
        });
  }

  /** What this host serves, for the operator who started it: a few lines, no line end after. */
  private static String summary(
      MxtrapConfig c, List<InetSocketAddress> bound, @Nullable SocketAddress policy) {
    StringBuilder b = new StringBuilder();
    b.append(
        c.source() == null
            ? "mxtrap: no config file: running the embedded demo layout"
            : "mxtrap: config " + c.source());
    b.append("\n  hostname ").append(c.hostname()).append(", domains ");
    b.append(String.join(", ", c.domains()));
    b.append("\n  data     ").append(c.dataDir());
    for (InetSocketAddress a : bound) {
      b.append("\n  listen   ").append(Addresses.literal(a.getAddress(), a.getPort()));
      b.append(roles(c, a));
    }
    if (policy != null) {
      b.append("\n  policy   ").append(PolicyServer.describe(policy));
      b.append(" (Postfix policy service)");
    }
    b.append("\n  tls      ");
    b.append(c.tls() == null ? "off" : "STARTTLS with " + c.tls().cert());
    return b.toString();
  }

  /** The layout entries a listener serves: one for a specific address, several for a wildcard. */
  private static String roles(MxtrapConfig c, InetSocketAddress bound) {
    StringBuilder b = new StringBuilder();
    for (LayoutEntry e : c.layout().entries()) {
      boolean wildcard = bound.getAddress().isAnyLocalAddress();
      if (e.port() == bound.getPort()
          && (wildcard || Addresses.sameHost(e.address(), bound.getAddress()))) {
        b.append(wildcard ? "\n           " : "  ").append(e.describe());
      }
    }
    return b.toString();
  }

  /**
   * Tells systemd that every listener is bound ({@code Type=notify}), when the process runs under
   * it ({@code NOTIFY_SOCKET} set): {@code systemd-notify --ready}, a child process, so the unit
   * needs {@code NotifyAccess=all}. It waits until systemd has read the message (systemd 246+), at
   * most 30 s. A failure is logged and the server goes on; systemd then ends the start at its own
   * timeout.
   */
  private static void notifyReady() throws InterruptedException {
    if (System.getenv("NOTIFY_SOCKET") == null) {
      return;
    }
    try {
      // Its complaints, if any, go to our standard error: the journal.
      Process p = new ProcessBuilder("systemd-notify", "--ready").inheritIO().start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        log.warn("systemd-notify --ready did not finish within 30 s");
      } else if (p.exitValue() != 0) {
        log.warn("systemd-notify --ready failed with exit status {}", p.exitValue());
      }
    } catch (IOException e) {
      log.warn("cannot run systemd-notify --ready: {}", e.getMessage());
    }
  }

  /**
   * SIGHUP ({@code systemctl reload}, logrotate's postrotate) re-reads the config file: {@link
   * MxtrapApp#reload}. A refused reload is logged there and the host runs on as it was.
   */
  private static void reloadOnHangup(MxtrapApp app) {
    Signal.handle(
        new Signal("HUP"),
        s -> {
          log.info("SIGHUP: reloading the config");
          try {
            app.reload();
          } catch (ConfigException refused) {
            // logged by reload, with the file's problems
          } catch (RuntimeException e) {
            log.error("reload failed", e);
          }
        });
  }
}
