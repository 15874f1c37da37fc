package org.mxtrap.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.ConfigLoader;
import org.mxtrap.it.RawSmtp;
import org.mxtrap.observe.Events;
import org.mxtrap.testing.FakeClock;
import org.mxtrap.testing.FreePorts;

/**
 * The primary on another host, the traps here: the traps know the primary only through their
 * probes. A sender that walked the list because the primary refused, hung or said 421 reaches the
 * trap without any contact we could see, and must not be suppressed for it.
 */
class ProbeScenarioIT {
  static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");

  @TempDir Path dir;
  final FakeClock clock = new FakeClock(T0);
  final FakePrimary primaryHost = new FakePrimary();
  final int trap30 = FreePorts.next();
  MxtrapApp app;

  @BeforeEach
  void start() throws Exception {
    Path file = dir.resolve("mxtrap.yml");
    Files.writeString(
        file,
        """
        hostname: mx2.example.test
        domains: [example.test]
        data_dir: data
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.1, port: %d, role: primary }
          - { preference: 30, host: mx2.example.test, address: 127.0.0.1, port: %d, role: trap }
        listen: ["127.0.0.1:%d"]
        admin: { bind: "127.0.0.1:%d" }
        trap: { arm_after: 1h, probe_interval: 1h }
        dns: { ptr_budget: 0s }
        """
            .formatted(primaryHost.port(), trap30, trap30, FreePorts.next()));
    primaryHost.greeting = "220 mail.example.test ESMTP\r\n";
    app = MxtrapApp.start(ConfigLoader.load(file), clock, Events.NONE);
    awaitFirstProbe();
  }

  /** The prober's first round runs at start on its own thread; wait for it before moving time. */
  void awaitFirstProbe() {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (app.prober().rounds() < 1) {
      assertThat(System.nanoTime()).as("first probe").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  @AfterEach
  void stop() throws IOException {
    if (app != null) {
      app.close();
    }
    primaryHost.close();
  }

  String greeting(int client) throws IOException {
    try (RawSmtp c =
        new RawSmtp(
            InetAddress.getLoopbackAddress(), trap30, InetAddress.getByName("127.0.0." + client))) {
      return c.reply();
    }
  }

  /** Moves the clock by {@code d} and probes, as the scheduled prober would. */
  void probeAfter(Duration d) {
    clock.advance(d);
    app.prober().probeAll();
  }

  @Test
  void whileThePrimaryAnswersProbesTheTrapArmsAndCatches() throws Exception {
    probeAfter(Duration.ofMinutes(61));
    assertThat(greeting(20)).startsWith("421 4.7.0 ");
    assertThat(
            app.policy().suppressions().find(InetAddress.getByName("127.0.0.20"), clock.instant()))
        .isPresent();
  }

  @Test
  void aPrimaryThatRefusesDisarmsTheTrap() throws Exception {
    probeAfter(Duration.ofMinutes(61));
    primaryHost.close(); // connection refused
    probeAfter(Duration.ofMinutes(5));
    assertThat(greeting(21)).startsWith("421 4.7.0 ");
    assertThat(
            app.policy().suppressions().find(InetAddress.getByName("127.0.0.21"), clock.instant()))
        .as("refused primary: the walk to the trap is legitimate")
        .isEmpty();
  }

  @Test
  void aPrimaryThatGreetsWith421DisarmsTheTrap() throws Exception {
    probeAfter(Duration.ofMinutes(61));
    primaryHost.greeting = "421 4.3.2 mail.example.test Service shutting down\r\n";
    probeAfter(Duration.ofMinutes(5));
    assertThat(greeting(22)).startsWith("421 4.7.0 ");
    assertThat(
            app.policy().suppressions().find(InetAddress.getByName("127.0.0.22"), clock.instant()))
        .isEmpty();
    // Back to 220: the trap stays disarmed for arm_after, counted from the last failed probe on.
    primaryHost.greeting = "220 mail.example.test ESMTP\r\n";
    probeAfter(Duration.ofMinutes(5));
    assertThat(greeting(23)).startsWith("421 4.7.0 ");
    assertThat(
            app.policy().suppressions().find(InetAddress.getByName("127.0.0.23"), clock.instant()))
        .isEmpty();
    probeAfter(Duration.ofMinutes(61));
    assertThat(greeting(24)).startsWith("421 4.7.0 ");
    assertThat(
            app.policy().suppressions().find(InetAddress.getByName("127.0.0.24"), clock.instant()))
        .isPresent();
  }

  @Test
  void aPrimaryThatHangsAtTheBannerDisarmsTheTrap() throws Exception {
    probeAfter(Duration.ofMinutes(61));
    primaryHost.greeting = null; // accepts, never greets: the probe times out
    probeAfter(Duration.ofMinutes(5));
    assertThat(greeting(25)).startsWith("421 4.7.0 ");
    assertThat(
            app.policy().suppressions().find(InetAddress.getByName("127.0.0.25"), clock.instant()))
        .isEmpty();
  }

  /** A primary on "another host": greets with {@link #greeting}, or hangs when it is null. */
  static final class FakePrimary implements AutoCloseable {
    private final ServerSocket socket;
    private final Thread acceptor;
    volatile String greeting;

    FakePrimary() {
      try {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      acceptor = Thread.ofVirtual().start(this::serve);
    }

    int port() {
      return socket.getLocalPort();
    }

    private void serve() {
      while (!socket.isClosed()) {
        try {
          Socket s = socket.accept();
          Thread.ofVirtual()
              .start(
                  () -> {
                    try (s) {
                      String g = greeting;
                      if (g == null) {
                        s.setSoTimeout(30_000);
                        s.getInputStream().read(); // hang until the prober gives up
                        return;
                      }
                      OutputStream out = s.getOutputStream();
                      out.write(g.getBytes(StandardCharsets.US_ASCII));
                      out.flush();
                      s.getInputStream().read(); // QUIT or close
                    } catch (IOException ignored) {
                      // the prober went away
                    }
                  });
        } catch (IOException e) {
          return;
        }
      }
    }

    /**
     * Stops listening. A server socket closed while a virtual thread waits in accept() may go on
     * accepting until that thread wakes, so this waits for it: afterwards, connections are refused.
     */
    @Override
    public void close() throws IOException {
      socket.close();
      try {
        acceptor.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
