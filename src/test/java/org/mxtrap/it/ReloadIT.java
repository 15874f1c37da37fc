package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload under load: while clients send on open connections, SIGHUP and {@code mxtrap reload}
 * change the allow list, the certificate (renewed in place, as certbot does) and a trap setting.
 * Every message acknowledged is delivered, no connection is closed, new connections see the new
 * values, and an invalid file is refused (the old config stays).
 */
class ReloadIT {
  private static final int SENDERS = 3;

  /** Each sender's bound: the test ends well before unless something hangs. */
  private static final int MAX_MESSAGES = 5_000;

  @TempDir Path dir;

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void reloadAppliesToNewConnectionsWithoutDroppingMail() throws Exception {
    PrivateCa ca = PrivateCa.create(dir.resolve("ca"), "mxtrap reload test CA");
    PrivateCa.Issued first = ca.issue("first", "IP:127.0.0.1");
    PrivateCa.Issued renewed = ca.issue("renewed", "IP:127.0.0.1");
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Files.copy(first.cert(), cert);
    Files.copy(first.key(), key);
    TestLayout layout = new TestLayout(dir).tls(cert, key).extra("trap: { arm_after: 1s }");
    try (MxtrapProcess server = layout.start()) {
      Path config = dir.resolve("mxtrap.yml");
      assertThat(fingerprint(layout.primary, ca)).isEqualTo(fingerprintOf(first.cert()));
      awaitArmed(config);
      // Before: a trap hit from 127.0.2.7 is refused (tempfail, the default trap.on_trap).
      assertThat(greeting(layout.trap30, "127.0.2.7")).startsWith("421");

      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger acknowledged = new AtomicInteger();
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      List<Thread> senders = new ArrayList<>();
      for (int i = 0; i < SENDERS; i++) {
        senders.add(
            Thread.ofPlatform()
                .name("sender-" + i)
                .start(() -> send(layout.primary, stop, acknowledged, failures)));
      }
      await("the senders to get going", () -> acknowledged.get() >= 3 * SENDERS);

      // SIGHUP: the allow list, a renewed certificate at the same paths, trap.on_trap.
      layout.extra = "trap: { arm_after: 1s, on_trap: reject }\nallow: [127.0.2.0/24]\n";
      layout.write();
      Files.copy(renewed.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(renewed.key(), key, StandardCopyOption.REPLACE_EXISTING);
      hangUp(server.pid());
      await("the SIGHUP reload", () -> logContains(server, "reloaded /"));
      int atReload = acknowledged.get();

      assertThat(fingerprint(layout.primary, ca)).isEqualTo(fingerprintOf(renewed.cert()));
      assertThat(greeting(layout.trap30, "127.0.2.7")).as("allowed now").startsWith("220");
      assertThat(greeting(layout.trap40, "127.0.3.9")).as("on_trap: reject").startsWith("554");

      // An invalid file is refused with its file:line problems: by mxtrap reload before it asks
      // the server (exit 2, as check-config), and by the server on SIGHUP; the old config stays.
      String valid = layout.extra;
      layout.extra = valid + "limits: { max_errors: many }\n";
      layout.write();
      MxtrapProcess.Result refused =
          MxtrapProcess.run(Duration.ofSeconds(60), "reload", "--config", config.toString());
      assertThat(refused.exitCode()).as(refused.output()).isEqualTo(2);
      assertThat(refused.output()).contains(config + ":").contains("limits.max_errors");
      hangUp(server.pid());
      await("the refused reload", () -> logContains(server, "reload refused"));
      assertThat(server.log()).contains(config + ":").contains("limits.max_errors");
      assertThat(greeting(layout.trap30, "127.0.2.8")).as("still allowed").startsWith("220");
      assertThat(greeting(layout.trap40, "127.0.3.10")).as("still reject").startsWith("554");

      // mxtrap reload applies a valid file and names what needs a restart.
      layout.extra =
          "trap: { arm_after: 1s, on_trap: reject, window: 2h }\nallow: [127.0.2.0/24]\n";
      layout.write();
      MxtrapProcess.Result applied =
          MxtrapProcess.run(Duration.ofSeconds(60), "reload", "--config", config.toString());
      assertThat(applied.exitCode()).as(applied.output()).isZero();
      assertThat(applied.output()).contains("reloaded: applied").contains("trap.window");

      await("mail sent across the reloads", () -> acknowledged.get() >= atReload + 3 * SENDERS);
      stop.set(true);
      for (Thread t : senders) {
        t.join(Duration.ofSeconds(60));
      }
      assertThat(failures).as("sender failures (a reset or an unexpected reply)").isEmpty();
      int sent = acknowledged.get();
      await("every acknowledged message in the Maildir", () -> inbox(layout) >= sent);
      assertThat(inbox(layout)).isEqualTo(sent);
    }
  }

  /**
   * One connection from 127.0.0.1 to the primary that sends messages until {@code stop} (or {@link
   * #MAX_MESSAGES}), then QUIT: every 250 after the data is counted; anything else is a failure.
   */
  private static void send(
      int port,
      AtomicBoolean stop,
      AtomicInteger acknowledged,
      ConcurrentLinkedQueue<String> fail) {
    try (RawSmtp smtp = new RawSmtp(port)) {
      expect(smtp.reply(), "220");
      expect(smtp.command("EHLO client.test"), "250");
      for (int i = 0; i < MAX_MESSAGES && !stop.get(); i++) {
        expect(smtp.command("MAIL FROM:<sender@client.test>"), "250");
        expect(smtp.command("RCPT TO:<bob@example.test>"), "250");
        expect(smtp.command("DATA"), "354");
        expect(smtp.command("Subject: reload " + i + "\r\n\r\nmessage " + i + "\r\n."), "250");
        acknowledged.incrementAndGet();
      }
      expect(smtp.command("QUIT"), "221");
    } catch (IOException | RuntimeException e) {
      fail.add(Thread.currentThread().getName() + ": " + e);
    }
  }

  private static void expect(String reply, String code) {
    if (reply == null || !reply.startsWith(code)) {
      throw new IllegalStateException("expected " + code + ", got " + reply);
    }
  }

  /** The greeting a new connection from {@code from} gets on {@code port}. */
  private static String greeting(int port, String from) throws IOException {
    try (RawSmtp smtp =
        new RawSmtp(InetAddress.getLoopbackAddress(), port, InetAddress.getByName(from))) {
      return smtp.reply();
    }
  }

  /** The SHA-256 of the certificate a new connection gets through STARTTLS on {@code port}. */
  private static String fingerprint(int port, PrivateCa ca) throws Exception {
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
      plain.setSoTimeout(30_000);
      InputStream in = plain.getInputStream();
      expect(readReply(in), "220");
      plain
          .getOutputStream()
          .write("EHLO client.test\r\nSTARTTLS\r\n".getBytes(StandardCharsets.US_ASCII));
      expect(readReply(in), "250");
      expect(readReply(in), "220");
      try (SSLSocket tls =
          (SSLSocket)
              ca.clientContext().getSocketFactory().createSocket(plain, "127.0.0.1", port, true)) {
        tls.startHandshake();
        return sha256(tls.getSession().getPeerCertificates()[0]);
      }
    }
  }

  /** One reply, read a byte at a time so nothing after it is consumed before the handshake. */
  private static String readReply(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    while (true) {
      int c = in.read();
      if (c == -1) {
        return line.toString();
      }
      line.append((char) c);
      int end = line.lastIndexOf("\n", line.length() - 2) + 1;
      if (c == '\n' && line.length() - end >= 4 && line.charAt(end + 3) == ' ') {
        return line.toString();
      }
    }
  }

  private static String fingerprintOf(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return sha256(CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
  }

  private static String sha256(Certificate c) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
  }

  /** Waits until {@code mxtrap status} says both traps are armed ({@code arm_after: 1s}). */
  private static void awaitArmed(Path config) throws Exception {
    await(
        "the traps to arm",
        () -> {
          try {
            String status =
                MxtrapProcess.run(
                        Duration.ofSeconds(60), "status", "--json", "--config", config.toString())
                    .output();
            return status.split("\"armed\":true", -1).length - 1 >= 4; // traps and layout
          } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private static void hangUp(long pid) throws Exception {
    Process kill =
        new ProcessBuilder(
                Programs.require("kill", "procps").toString(), "-HUP", Long.toString(pid))
            .inheritIO()
            .start();
    assertThat(kill.waitFor()).isZero();
  }

  private static boolean logContains(MxtrapProcess server, String text) {
    try {
      return server.log().contains(text);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long inbox(TestLayout layout) {
    try (Stream<Path> files = Files.list(layout.inbox("bob"))) {
      return files.count();
    } catch (IOException e) {
      return 0;
    }
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50); // polling a condition with a deadline, not ordering events
    }
  }
}
