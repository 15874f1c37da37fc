package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, defect 1: 1,000 clients that each send most of a 128 KiB message and then wait held 128
 * KiB of heap apiece, and a server with {@code -Xmx128m} ran out of memory for good. Now message
 * content held in memory has one budget; what does not fit goes to the spool.
 */
class MemoryBudgetIT {
  private static final int ADDRESSES = 25;
  private static final int PER_ADDRESS = 20; // limits.max_per_ip
  private static final int CONTENT = 127 * 1024;

  @TempDir Path dir;

  @Test
  void aDataFloodUnderASmallHeapLeavesLegitimateClientsServed() throws Exception {
    TestLayout layout =
        new TestLayout(dir)
            .limits(
                "{ max_connections: 600, max_per_ip: " + PER_ADDRESS + ", message_memory: 8MB }")
            .extra("state: { max_contacts: 10000 }")
            .jvm("-Xmx128m");
    ConcurrentLinkedQueue<Socket> flood = new ConcurrentLinkedQueue<>();
    try (MxtrapProcess server = layout.start()) {
      AtomicInteger holding = new AtomicInteger();
      try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int a = 1; a <= ADDRESSES; a++) {
          InetAddress from = InetAddress.getByName("127.0.1." + a);
          for (int i = 0; i < PER_ADDRESS; i++) {
            clients.submit(
                () -> {
                  Socket s = new Socket();
                  flood.add(s);
                  startMessageAndWait(s, from, layout.primary);
                  holding.incrementAndGet();
                  return null;
                });
          }
        }
        clients.shutdown();
        assertThat(clients.awaitTermination(120, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(holding.get()).isEqualTo(ADDRESSES * PER_ADDRESS);

      // During the flood: 500 sessions in DATA with 127 KiB each, 62 MB, in a 128 MB heap, of
      // which 8 MB may hold message content: the rest is in the spool.
      deliver(layout, "during", 4 * 1024);
      deliver(layout, "during-big", 300 * 1024);
      assertThat(SmtpHarness.awaitMessages(layout.inbox("during-big"), 1, Duration.ofSeconds(30)))
          .hasSize(1);

      for (Socket s : flood) {
        s.close();
      }
      deliver(layout, "after", 4 * 1024);
      assertThat(server.stop()).as("a graceful stop on SIGTERM").isZero();
      assertThat(server.log()).doesNotContain("OutOfMemoryError");
      assertThat(SmtpHarness.messages(layout.inbox("victim"))).isEmpty();
    } finally {
      for (Socket s : flood) {
        s.close();
      }
    }
  }

  /** EHLO, MAIL, RCPT, DATA and 127 KiB of content without its end; the socket stays open. */
  private static void startMessageAndWait(Socket s, InetAddress from, int port) throws IOException {
    s.bind(new InetSocketAddress(from, 0));
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
    s.setSoTimeout(60_000);
    InputStream in = s.getInputStream();
    OutputStream out = s.getOutputStream();
    expect(in, "220");
    out.write(
        "EHLO flood.test\r\nMAIL FROM:<f@flood.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\n"
            .getBytes(StandardCharsets.US_ASCII));
    expect(in, "354");
    String line = "x".repeat(98) + "\r\n";
    out.write(("Subject: flood\r\n\r\n" + line.repeat(CONTENT / line.length())).getBytes());
    out.flush();
  }

  /** Reads replies until one starts with {@code code}; fails on anything that is not 2xx/3xx. */
  private static void expect(InputStream in, String code) throws IOException {
    StringBuilder line = new StringBuilder();
    List<String> seen = new ArrayList<>();
    int c;
    while ((c = in.read()) != -1) {
      if (c != '\n') {
        line.append((char) c);
        continue;
      }
      String l = line.toString().strip();
      line.setLength(0);
      seen.add(l);
      if (l.startsWith(code) && (l.length() == 3 || l.charAt(3) == ' ')) {
        return;
      }
      if (!(l.startsWith("2") || l.startsWith("3"))) {
        throw new IOException("refused: " + seen);
      }
    }
    throw new IOException("closed after " + seen);
  }

  private static void deliver(TestLayout layout, String localPart, int size) throws Exception {
    try (RawSmtp c = new RawSmtp(layout.primary)) {
      assertThat(c.reply()).startsWith("220 ");
      assertThat(c.command("EHLO client.test")).startsWith("250");
      assertThat(c.command("MAIL FROM:<a@client.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<" + localPart + "@example.test>")).startsWith("250");
      assertThat(c.command("DATA")).startsWith("354");
      String line = "y".repeat(98) + "\r\n";
      assertThat(c.command("Subject: " + localPart + "\r\n\r\n" + line.repeat(size / 100) + "."))
          .startsWith("250");
    }
  }
}
