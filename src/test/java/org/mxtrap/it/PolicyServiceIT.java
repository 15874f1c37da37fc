package org.mxtrap.it;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.testing.FreePorts;

/**
 * {@code mxtrap policy} from the packaged jar, asked over TCP as Postfix asks it: a client that
 * goes straight to an armed trap is deferred there and then refused at the primary (one suppression
 * for both front doors), a client of the primary gets {@code DUNNO}, and the decision log's {@code
 * local} is the address and port Postfix reported. The primary's "Postfix" is a greeter on a free
 * port: {@code mxtrap policy} serves no entry itself and probes the primary to arm the trap.
 */
class PolicyServiceIT {
  @TempDir Path dir;
  final int primaryPort = FreePorts.next();
  final int trapPort = FreePorts.next();
  final int policyPort = FreePorts.next();
  Process process;
  ServerSocket greeter;

  @AfterEach
  void stop() throws Exception {
    if (process != null) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor();
      }
    }
    if (greeter != null) {
      greeter.close();
    }
  }

  @Test
  void aTrapHitIsRefusedAtThePrimaryAndOthersGetDunno() throws Exception {
    startGreeter();
    Path config = dir.resolve("mxtrap.yml");
    Files.writeString(
        config,
        """
        hostname: mail.example.test
        domains: [example.test]
        data_dir: %s
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.1, port: %d, role: primary }
          - { preference: 30, host: mx3.example.test, address: 127.0.0.1, port: %d, role: trap }
        listen: ["127.0.0.1:%d"]   # what Postfix binds; mxtrap policy binds none of it
        admin: { bind: "127.0.0.1:%d" }
        dns: { ptr_budget: 0s }
        trap: { probe_interval: 1s, arm_after: 1s }
        suppress: { action: reject }
        policy: { bind: "127.0.0.1:%d" }
        """
            .formatted(
                dir.resolve("data"),
                primaryPort,
                trapPort,
                primaryPort,
                FreePorts.next(),
                policyPort));
    process =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "-jar",
                MxtrapProcess.jar().toString(),
                "policy",
                "--config",
                config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("mxtrap.log").toFile())
            .start();
    try (Socket s = connectWithin(60_000)) {
      assertThat(ask(s, "normal-1", "198.51.100.1", primaryPort)).isEqualTo("action=DUNNO");
      // Until the trap is armed, a trap contact is a tempfail without suppression: each round
      // takes a fresh client, until one is suppressed by its trap contact.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String atPrimary = "";
      String atTrap = "";
      int round = 0;
      while (!atPrimary.startsWith("action=REJECT") && System.nanoTime() < deadline) {
        round++;
        String client = client(round);
        atTrap = ask(s, "trap-" + round, client, trapPort);
        atPrimary = ask(s, "primary-" + round, client, primaryPort);
        // The same SMTP session asked again at a later stage gets the same answer.
        assertThat(ask(s, "trap-" + round, client, trapPort)).isEqualTo(atTrap);
        process.waitFor(100, TimeUnit.MILLISECONDS); // a bounded poll, not an ordering
      }
      assertThat(atTrap).startsWith("action=DEFER_IF_PERMIT 4.7.1 mail.example.test");
      assertThat(atPrimary).startsWith("action=REJECT 5.7.1 mail.example.test");
      assertThat(ask(s, "normal-2", "198.51.100.1", primaryPort)).isEqualTo("action=DUNNO");
      String log = Files.readString(dir.resolve("data/log/decisions.jsonl"));
      assertThat(log)
          .contains("\"client\":\"" + client(round) + "\",\"local\":\"127.0.0.1:" + trapPort)
          .contains("\"verdict\":\"mx-skip\"");
    }
  }

  /** The client of round {@code round}: alone in its /24, as contacts excuse by /24. */
  private static String client(int round) {
    return "10." + round / 256 + "." + round % 256 + ".1";
  }

  /** One request; the answer's action line (the empty line after it checked). */
  private static String ask(Socket s, String instance, String client, int serverPort)
      throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(
        ("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
                + "helo_name=client.example\nqueue_id=\nsender=a@example.net\n"
                + "recipient=bob@example.test\nrecipient_count=0\ninstance="
                + instance
                + "\nclient_address="
                + client
                + "\nclient_name=unknown\nreverse_client_name=unknown\n"
                + "server_address=127.0.0.1\nserver_port="
                + serverPort
                + "\n\n")
            .getBytes(US_ASCII));
    out.flush();
    InputStream in = s.getInputStream();
    StringBuilder b = new StringBuilder();
    while (!b.toString().endsWith("\n\n")) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("closed after " + b);
      }
      b.append((char) c);
    }
    return b.toString().strip();
  }

  /** Polls until {@code mxtrap policy} accepts, within {@code millis}. */
  private Socket connectWithin(long millis) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "mxtrap policy exited:\n" + Files.readString(dir.resolve("mxtrap.log")));
      }
      try {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), policyPort), 10_000);
        s.setSoTimeout(30_000);
        return s;
      } catch (ConnectException notYet) {
        if (System.nanoTime() > deadline) {
          throw notYet;
        }
        process.waitFor(50, TimeUnit.MILLISECONDS); // a bounded poll, not an ordering
      }
    }
  }

  /** The primary's SMTP server as the prober sees it: a 220 greeting, then reads to the end. */
  private void startGreeter() throws IOException {
    greeter = new ServerSocket(primaryPort, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual()
        .start(
            () -> {
              while (!greeter.isClosed()) {
                try (Socket c = greeter.accept()) {
                  c.setSoTimeout(10_000);
                  c.getOutputStream().write("220 mail.example.test ESMTP\r\n".getBytes(US_ASCII));
                  c.getInputStream().readAllBytes();
                } catch (IOException e) {
                  // closed, or the prober hung up: next
                }
              }
            });
  }
}
