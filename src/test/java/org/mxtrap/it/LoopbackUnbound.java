package org.mxtrap.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.mxtrap.testing.FreePorts;

/**
 * Debian's unbound as a recursive resolver on a free loopback port, answering only what a test
 * gives it: {@code server:} lines (local zones and data) and whole clauses ({@code stub-zone:}
 * ...). Every name outside them is refused, so nothing is ever asked of the Internet. Started by
 * {@link #start}, stopped by its PID in {@link #close}.
 */
public final class LoopbackUnbound implements AutoCloseable {
  private final Process process;
  private final int port;

  private LoopbackUnbound(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts unbound in {@code dir} and waits until it serves.
   *
   * @param serverLines more lines of the {@code server:} clause, each indented by two spaces
   * @param clauses more top-level clauses ({@code stub-zone:} ...), or empty
   */
  public static LoopbackUnbound start(Path dir, String serverLines, String clauses)
      throws IOException, InterruptedException {
    Path bin = Programs.require("unbound", "unbound");
    int port = FreePorts.next();
    Path conf = dir.resolve("unbound.conf");
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
          # Never ask the Internet: every name outside the test's zones is refused.
          local-zone: "." refuse
        %s
        remote-control:
          control-enable: no
        %s
        """
            .formatted(port, dir, serverLines, clauses));
    Path log = dir.resolve("unbound.log");
    Process p =
        new ProcessBuilder(bin.toString(), "-d", "-c", conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    LoopbackUnbound u = new LoopbackUnbound(p, port);
    try {
      u.awaitStart(log);
    } catch (IOException | InterruptedException | RuntimeException e) {
      u.close();
      throw e;
    }
    return u;
  }

  /**
   * Starts unbound serving {@code zoneText} as the authoritative zone {@code origin} (without the
   * final dot), in a new directory under {@code dir}.
   */
  public static LoopbackUnbound serving(Path dir, String origin, String zoneText)
      throws IOException, InterruptedException {
    Path home = Files.createTempDirectory(dir, "unbound-");
    Path zone = home.resolve(origin + ".zone");
    Files.writeString(zone, zoneText);
    return start(
        home,
        "  local-zone: \"%s.\" transparent".formatted(origin),
        """
        auth-zone:
          name: "%s."
          zonefile: "%s"
          for-downstream: yes
          for-upstream: yes
          fallback-enabled: no
        """
            .formatted(origin, zone));
  }

  /** {@code 127.0.0.1:PORT}, for {@code dns.resolver} and {@code --resolver}. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** Until unbound logs that it serves (its sockets are bound by then), or fails. */
  private void awaitStart(Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (Files.readString(log).contains("start of service")) {
        return;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "unbound exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      process.waitFor(20, TimeUnit.MILLISECONDS); // bounded poll of a condition, not ordering
    }
    throw new IllegalStateException("unbound did not start:\n" + Files.readString(log));
  }

  /** SIGTERM to its PID; SIGKILL if it is still there 10 seconds later. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
  }
}
