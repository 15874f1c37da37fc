package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.testing.FreePorts;

/**
 * mxtrap behind Debian's HAProxy, on loopback. HAProxy's frontends are the published MX addresses
 * (the layout names them): the primary on 127.0.0.1:{@code primaryPort} and the trap on
 * 127.0.0.1:{@code trapPort}, both forwarded with {@code send-proxy-v2} to one mxtrap listener, and
 * a second primary on {@code v1Frontend}, forwarded with {@code send-proxy} (v1) to another.
 * HAProxy connects to mxtrap from 127.0.0.1, the listeners' only {@code proxy_from}; the clients
 * connect from 127.0.N.1, each alone in its /24.
 */
class HaproxyIT {
  @TempDir Path home;
  final int primaryPort = FreePorts.next();
  final int trapPort = FreePorts.next();
  final int v2Listener = FreePorts.next();
  final int v1Listener = FreePorts.next();
  final int v1Frontend = FreePorts.next();
  Process haproxy;
  MxtrapProcess mxtrap;
  Path config;

  @BeforeEach
  void start() throws Exception {
    Path bin = Programs.require("haproxy", "haproxy");
    Path cfg = home.resolve("haproxy.cfg");
    Files.writeString(
        cfg,
        """
        defaults
          mode tcp
          timeout connect 5s
          timeout client 60s
          timeout server 60s
        frontend primary
          bind 127.0.0.1:%d
          default_backend v2
        frontend trap
          bind 127.0.0.1:%d
          default_backend v2
        frontend primary_v1
          bind 127.0.0.1:%d
          default_backend v1
        backend v2
          server mxtrap 127.0.0.1:%d send-proxy-v2
        backend v1
          server mxtrap 127.0.0.1:%d send-proxy
        """
            .formatted(primaryPort, trapPort, v1Frontend, v2Listener, v1Listener));
    haproxy =
        new ProcessBuilder(bin.toString(), "-db", "-f", cfg.toString())
            .redirectErrorStream(true)
            .redirectOutput(home.resolve("haproxy.log").toFile())
            .start();
    awaitListening(primaryPort);
    config = home.resolve("mxtrap.yml");
    Files.writeString(
        config,
        """
        hostname: mail.example.test
        domains: [example.test]
        data_dir: %s
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.1, port: %d, role: primary }
          - { preference: 20, host: mail2.example.test, address: 127.0.0.1, port: %d, role: primary }
          - { preference: 30, host: mx3.example.test, address: 127.0.0.1, port: %d, role: trap }
        listen:
          - { address: "127.0.0.1:%d", proxy_protocol: v2, proxy_from: [127.0.0.1/32] }
          - { address: "127.0.0.1:%d", proxy_protocol: v1, proxy_from: [127.0.0.1/32] }
        admin: { bind: "127.0.0.1:%d" }
        dns: { ptr_budget: 0s }
        trap: { arm_after: 1s }
        """
            .formatted(
                home.resolve("data"),
                primaryPort,
                v1Frontend,
                trapPort,
                v2Listener,
                v1Listener,
                FreePorts.next()));
    // Started once HAProxy listens: its probe greets through the primary frontend.
    mxtrap =
        MxtrapProcess.startOn(
            config,
            home.resolve("mxtrap.log"),
            new InetSocketAddress(InetAddress.getLoopbackAddress(), primaryPort));
  }

  @AfterEach
  void stop() throws Exception {
    if (mxtrap != null) {
      mxtrap.close();
    }
    if (haproxy != null) {
      haproxy.destroy();
      if (!haproxy.waitFor(10, TimeUnit.SECONDS)) {
        haproxy.destroyForcibly().waitFor();
      }
    }
  }

  /** Awaits a listener on 127.0.0.1:{@code port}, within 10 s. */
  private static void awaitListening(int port) throws Exception {
    boolean up =
        SharedStateIT.await(
            Duration.ofSeconds(10),
            () -> {
              try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return true;
              } catch (IOException e) {
                return false;
              }
            },
            b -> b);
    assertThat(up).as("HAProxy listens on %d", port).isTrue();
  }

  @Test
  void aTrapHitThroughTheBalancerSuppressesTheClientNotTheBalancer() throws Exception {
    String explained =
        SharedStateIT.await(
            Duration.ofSeconds(30),
            () -> SharedStateIT.cli(config, "explain", "127.0.77.1").output(),
            o -> o.contains("mx-skip"));
    assertThat(explained).as("the trap arms").contains("mx-skip");

    assertThat(SharedStateIT.greeting("127.0.0.1", trapPort, "127.0.77.1"))
        .as("a trap hit through HAProxy")
        .startsWith("4");
    assertThat(SharedStateIT.greeting("127.0.0.1", primaryPort, "127.0.77.1"))
        .as("the client is suppressed on the primary too")
        .startsWith("421 4.7.1 ");
    assertThat(SharedStateIT.cli(config, "suppressions", "list").output())
        .startsWith("127.0.77.1 until")
        .contains("\n1 active suppression");
    assertThat(SharedStateIT.greeting("127.0.0.1", primaryPort, "127.0.78.1"))
        .as("others are served, HAProxy's address among them")
        .startsWith("220 mail.example.test ");
    assertThat(Files.readString(home.resolve("data/log/decisions.jsonl")))
        .contains("\"client\":\"127.0.77.1\"")
        .contains("mx-skip");
  }

  @Test
  void mailThroughTheBalancerNamesTheClientInReceived() throws Exception {
    Swaks.Result v2 =
        Swaks.run(
            "127.0.0.1",
            primaryPort,
            "--local-interface",
            "127.0.80.1",
            "--to",
            "bob@example.test",
            "--from",
            "alice@client.test");
    assertThat(v2.transcript()).contains("250 2.0.0 Ok: queued as");
    Swaks.Result v1 =
        Swaks.run(
            "127.0.0.1",
            v1Frontend,
            "--local-interface",
            "127.0.81.1",
            "--to",
            "bob@example.test",
            "--from",
            "carol@client.test");
    assertThat(v1.transcript()).contains("250 2.0.0 Ok: queued as");
    Path inbox = home.resolve("data/mail/example.test/bob/new");
    List<String> messages =
        SharedStateIT.await(Duration.ofSeconds(10), () -> messages(inbox), m -> m.size() == 2);
    assertThat(messages).hasSize(2);
    String fromV2 = messages.stream().filter(m -> m.contains("alice@")).findFirst().orElseThrow();
    String fromV1 = messages.stream().filter(m -> m.contains("carol@")).findFirst().orElseThrow();
    assertThat(fromV2)
        .as("the client and the published MX it connected to")
        .contains("[127.0.80.1]")
        .contains("by mail.example.test ([127.0.0.1]:" + primaryPort + ", primary, MX 10)");
    assertThat(fromV1)
        .contains("[127.0.81.1]")
        .contains("([127.0.0.1]:" + v1Frontend + ", primary, MX 20)");
  }

  private static List<String> messages(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(
              f -> {
                try {
                  return Files.readString(f);
                } catch (IOException e) {
                  return "";
                }
              })
          .toList();
    }
  }

  @Test
  void aConnectionWithoutAValidHeaderOrFromElsewhereIsClosedWithoutAWord() throws Exception {
    InetAddress balancer = InetAddress.getByName("127.0.0.1");
    byte[] smtp = "EHLO client.test\r\n".getBytes(StandardCharsets.US_ASCII);
    assertThat(answer(InetAddress.getByName("127.0.0.2"), v2Listener, v2Header()))
        .as("a valid header, but not from proxy_from")
        .isEmpty();
    assertThat(answer(balancer, v2Listener, smtp)).as("SMTP instead of a header").isEmpty();
    assertThat(answer(balancer, v1Listener, v2Header())).as("v2 on a v1 listener").isEmpty();
    assertThat(
            answer(
                balancer,
                v1Listener,
                "PROXY TCP4 127.0.82.1 127.0.0.1 1 25 extra\r\n"
                    .getBytes(StandardCharsets.US_ASCII)))
        .as("a malformed v1 header")
        .isEmpty();
    assertThat(answer(balancer, v2Listener, new byte[0]))
        .as("no header within the deadline")
        .isEmpty();
    assertThat(answer(balancer, v2Listener, concat(v2Header(), smtp)))
        .as("while a valid header is served")
        .startsWith("220 ");
    String log = Files.readString(home.resolve("mxtrap.log"));
    assertThat(log)
        .contains("not in proxy_from; closed")
        .contains("not a PROXY v2 signature; closed")
        .contains("no PROXY header within 5 s; closed");
  }

  /** A v2 PROXY header for client 127.0.83.1:40000 to the primary's frontend. */
  private byte[] v2Header() {
    return concat(
        new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A},
        new byte[] {0x21, 0x11, 0x00, 0x0C, 127, 0, 83, 1, 127, 0, 0, 1},
        new byte[] {(byte) 0x9C, 0x40, (byte) (primaryPort >> 8), (byte) primaryPort});
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /**
   * What the listener sends back, from {@code from}, after {@code octets}: up to the first line, or
   * nothing when it closes (or resets) the connection first. Waits at most 15 s (the header's
   * deadline is 5).
   */
  private static String answer(InetAddress from, int port, byte[] octets) throws IOException {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(from, 0));
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
      s.setSoTimeout(15_000);
      s.getOutputStream().write(octets);
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      try {
        for (int b = in.read(); b >= 0; b = in.read()) {
          got.write(b);
          if (b == '\n') {
            break;
          }
        }
      } catch (SocketException reset) {
        // closed with our octets unread: a reset, and nothing was sent
      }
      return got.toString(StandardCharsets.US_ASCII);
    }
  }
}
