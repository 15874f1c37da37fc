package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Clients that try to pin a session for ever, against the packaged server with {@code
 * command_timeout: 2s} (issue 9): each one is cut at its deadline, and the others are answered.
 */
class HostileClientsIT extends ServerPerClass {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  @Override
  TestLayout layout(Path dir) {
    return new TestLayout(dir).limits("{ command_timeout: 2s, min_data_rate: 1000 }");
  }

  private RawSmtp greeted() throws Exception {
    RawSmtp c = new RawSmtp(layout.primary);
    assertThat(c.reply()).startsWith("220 ");
    assertThat(c.command("EHLO client.test")).startsWith("250");
    return c;
  }

  @Test
  void aReplyIsNotHeldBehindAPartialLine() throws Exception {
    try (RawSmtp c = new RawSmtp(layout.primary)) {
      c.readTimeout(Duration.ofSeconds(1)); // well under the 2 s line deadline
      assertThat(c.reply()).startsWith("220 ");
      c.send("EHLO client.test\r\nNOOP\r\nNOO");
      assertThat(c.reply()).startsWith("250-mail.example.test");
      assertThat(c.reply()).isEqualTo("250 2.0.0 Ok");
      c.send("P\r\n");
      assertThat(c.reply()).isEqualTo("250 2.0.0 Ok");
    }
  }

  @Test
  void theSameMailboxTwiceIsDeliveredOnce() throws Exception {
    try (RawSmtp c = greeted()) {
      c.command("MAIL FROM:<a@client.test>");
      assertThat(c.command("RCPT TO:<dup@example.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<dup@example.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<DUP@example.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<\"dup\"@example.test>")).startsWith("250");
      assertThat(c.command("DATA")).startsWith("354");
      assertThat(c.command("Subject: twice\r\n\r\nonce\r\n.")).startsWith("250");
      assertThat(c.command("RCPT TO:<\"\"@example.test>")).startsWith("503"); // no transaction
      c.command("MAIL FROM:<a@client.test>");
      assertThat(c.command("RCPT TO:<\"\"@example.test>")).startsWith("550 5.1.1");
    }
    assertThat(SmtpHarness.messages(layout.inbox("dup"))).hasSize(1);
  }

  @Test
  void aClientThatTricklesACommandIsCutAtTheLineDeadline() throws Exception {
    try (RawSmtp c = greeted();
        ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor()) {
      // One octet every 400 ms: each read is quick, but the line never completes in time.
      pacer.scheduleAtFixedRate(() -> sendQuietly(c, "x"), 0, 400, TimeUnit.MILLISECONDS);
      long start = System.nanoTime();
      c.readTimeout(Duration.ofSeconds(10));
      assertThat(c.reply()).startsWith("421 4.4.2");
      assertThat(c.closedByServer()).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isBetween(TIMEOUT.minusMillis(200), TIMEOUT.plusSeconds(3));
    }
  }

  @Test
  void aClientThatTricklesMessageContentIsCutAtTheDataDeadline() throws Exception {
    try (RawSmtp c = greeted();
        ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor()) {
      c.command("MAIL FROM:<a@client.test>");
      c.command("RCPT TO:<slow@example.test>");
      assertThat(c.command("DATA")).startsWith("354");
      // Complete lines, but 20 octets a second against a minimum of 1000: cut after about
      // command_timeout plus what the octets sent earned (a few ms).
      pacer.scheduleAtFixedRate(
          () -> sendQuietly(c, "slow line\r\n"), 0, 500, TimeUnit.MILLISECONDS);
      long start = System.nanoTime();
      c.readTimeout(Duration.ofSeconds(10));
      assertThat(c.reply()).startsWith("421 4.4.2");
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isBetween(TIMEOUT.minusMillis(200), TIMEOUT.plusSeconds(3));
    }
    assertThat(SmtpHarness.messages(layout.inbox("slow"))).isEmpty();
  }

  @Test
  void aClientThatNeverReadsIsCutAtTheWriteDeadline() throws Exception {
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(4096); // before connect: a small window fills at once
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), layout.primary));
      OutputStream out = s.getOutputStream();
      byte[] burst = "NOOP\r\n".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
      long start = System.nanoTime();
      boolean cut = false;
      // Pipeline commands and never read a reply: our writes stall once the server stalls, and
      // the server's own write stalls once our window and its buffer are full. Bounded: at most
      // 1,000 bursts (60 MB), and the server must cut us long before.
      try {
        for (int i = 0; i < 1000 && System.nanoTime() - start < 30_000_000_000L; i++) {
          out.write(burst);
        }
      } catch (IOException reset) {
        cut = true;
      }
      assertThat(cut).as("the server closed the connection").isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }
    assertThat(server.log()).contains("timeout: a write to");
    try (RawSmtp c = greeted()) {
      assertThat(c.command("QUIT")).startsWith("221");
    }
  }

  @Test
  void aSilentClientIsCutAtTheLineDeadline() throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), layout.primary)) {
      s.setSoTimeout(10_000);
      InputStream in = s.getInputStream();
      byte[] all;
      try {
        all = in.readAllBytes();
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the server never closed a silent connection", e);
      }
      assertThat(new String(all, StandardCharsets.US_ASCII))
          .startsWith("220 ")
          .contains("421 4.4.2");
    }
  }

  private static void sendQuietly(RawSmtp c, String bytes) {
    try {
      c.send(bytes);
    } catch (IOException closed) {
      // the server cut us: that is the point
    }
  }
}
