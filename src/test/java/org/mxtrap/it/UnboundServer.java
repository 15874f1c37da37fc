package org.mxtrap.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Debian's unbound, started by a test on a free loopback port as an authoritative server for one
 * zone the test writes (an auth-zone). Every name outside the zone is refused, so nothing is ever
 * asked of the Internet. {@link #close()} stops it by its PID (SIGTERM, then SIGKILL if it
 * lingers). A test on a machine without unbound is skipped, or failed under {@code CI=true} ({@link
 * Programs}).
 */
final class UnboundServer implements AutoCloseable {

  private final Process process;
  private final int port;

  private UnboundServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts unbound serving {@code zoneText} as the zone {@code origin} (without the final dot) and
   * returns once it serves. Its config, zone file and log go to a new directory under {@code dir}.
   */
  static UnboundServer start(Path dir, String origin, String zoneText)
      throws IOException, InterruptedException {
    Path bin = Programs.require("unbound", "unbound");
    Path home = Files.createTempDirectory(dir, "unbound-");
    int port = FreePorts.next();
    Path zone = home.resolve(origin + ".zone");
    Files.writeString(zone, zoneText);
    Path conf = home.resolve("unbound.conf");
    Files.writeString(
        conf,
        """
        server:
          interface: 127.0.0.1
          port: %d
          do-ip6: no
          so-reuseport: no
          num-threads: 1
          chroot: ""
          username: ""
          directory: "%s"
          pidfile: ""
          use-syslog: no
          logfile: ""
          verbosity: 1
          access-control: 127.0.0.0/8 allow
          module-config: "iterator"
          # Never ask the Internet: every name outside the test zone is refused.
          local-zone: "." refuse
          local-zone: "%s." transparent
        remote-control:
          control-enable: no
        auth-zone:
          name: "%s."
          zonefile: "%s"
          for-downstream: yes
          for-upstream: yes
          fallback-enabled: no
        """
            .formatted(port, home, origin, origin, zone));
    Path log = home.resolve("unbound.log");
    Process p =
        new ProcessBuilder(bin.toString(), "-d", "-c", conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    UnboundServer server = new UnboundServer(p, port);
    try {
      awaitStart(p, log);
    } catch (IOException | RuntimeException | InterruptedException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** Until unbound logs that it serves (its sockets are bound by then), or fails. */
  private static void awaitStart(Process p, Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (Files.readString(log).contains("start of service")) {
        return;
      }
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "unbound exited with " + p.exitValue() + ":\n" + Files.readString(log));
      }
      p.waitFor(20, TimeUnit.MILLISECONDS); // bounded poll of a condition, not ordering
    }
    throw new IllegalStateException("unbound did not start:\n" + Files.readString(log));
  }

  /** {@code 127.0.0.1:PORT}, as {@code --resolver} takes it. */
  String address() {
    return "127.0.0.1:" + port;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy(); // SIGTERM to its PID
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
  }
}
