package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code suppress.action: tarpit} over real sockets: a blocked client gets, instead of the
 * greeting, a 421 reply trickled one byte per interval as continuation lines, then the final line
 * and close; thousands of held connections do not slow down a client that is served; beyond {@code
 * tarpit_max} a client gets a plain 421 at once.
 *
 * <p>Every server blocks 127.0.0.0/8 and allows 127.0.0.2 (the allow list wins), so the tests
 * connect from 127.0.0.1 to be tarpitted and from 127.0.0.2 to be served. The held-connection test
 * needs 2,000 file descriptors and more in this JVM and as many in the server, which inherits this
 * JVM's {@code ulimit -n}; {@code ./run-tests} raises the soft limit to the hard one, and the test
 * fails at once, saying so, when the limit is too low.
 */
class TarpitIT {
  private static final InetAddress BLOCKED = address("127.0.0.1");
  private static final InetAddress ALLOWED = address("127.0.0.2");
  private static final String BLOCK_ALLOW =
      """
      block: ["127.0.0.0/8"]
      allow: ["127.0.0.2"]
      """;
  private static final String CONTINUATION =
      "421-4.7.1 mail.example.test Service unavailable to your address, try again later";
  private static final String FINAL =
      "421 4.7.1 mail.example.test Service unavailable to your address, try again later";

  @TempDir Path dir;

  @Test
  void twoThousandHeldConnectionsDoNotDelayAServedClient() throws Exception {
    int held = 2_000;
    long fds =
        ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getMaxFileDescriptorCount();
    assertThat(fds)
        .as(
            "ulimit -n of this JVM and of the server it starts: raise it (./run-tests raises the"
                + " soft limit to the hard one)")
        .isGreaterThanOrEqualTo(held + 1_000L);
    TestLayout layout =
        new TestLayout(dir)
            .limits("{ max_connections: 5000, max_per_ip: 5000 }")
            .extra(BLOCK_ALLOW)
            .extra(
                "suppress: { action: tarpit, tarpit_interval: 1s, tarpit_hold: 2m,"
                    + " tarpit_max: 2500 }")
            .probeFrom(ALLOWED);
    try (MxtrapProcess server = layout.start();
        HeldConnections tarpitted = new HeldConnections()) {
      tarpitted.open(layout.primary, BLOCKED, held, "421-", Duration.ofSeconds(20));
      assertThat(tarpitted.count()).isEqualTo(held);

      // While all 2,000 are held: a liveness bound, not a performance measurement.
      long t0 = System.nanoTime();
      try (RawSmtp c = new RawSmtp(InetAddress.getLoopbackAddress(), layout.primary, ALLOWED)) {
        assertThat(c.reply()).startsWith("220 ");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        assertThat(c.command("EHLO client.test")).startsWith("250");
        assertThat(c.command("QUIT")).startsWith("221");
        assertThat(c.closedByServer()).isTrue();
      }
      assertThat(tarpitted.stillOpen()).as("held connections still open").isEqualTo(held);
    }
  }

  /**
   * Issue 9: with {@code ulimit -n 512} and the default {@code tarpit_max} (20,000), a flood from
   * one suppressed address used to take every descriptor, and a legitimate client timed out at the
   * banner. Now the tarpit gets a quarter of what the limit leaves (96 here) and the rest get a
   * plain tempfail at once.
   */
  @Test
  void withFewDescriptorsAFullTarpitLeavesThePrimaryServed() throws Exception {
    TestLayout layout =
        new TestLayout(dir)
            .limits("{ max_per_ip: 1000 }")
            .extra(BLOCK_ALLOW)
            .extra("suppress: { action: tarpit, tarpit_interval: 1s, tarpit_hold: 2m }")
            .probeFrom(ALLOWED)
            .openFiles(512);
    try (MxtrapProcess server = layout.start();
        HeldConnections tarpitted = new HeldConnections();
        HeldConnections turnedAway = new HeldConnections()) {
      assertThat(server.log())
          .contains("limits lowered to fit this host: descriptors")
          .contains("tarpit 96");
      // In two halves, so that no more connect at once than the entry's own (lowered) limit.
      tarpitted.open(layout.primary, BLOCKED, 48, "421-", Duration.ofSeconds(20));
      tarpitted.open(layout.primary, BLOCKED, 48, "421-", Duration.ofSeconds(20));
      // Tarpit full: a plain tempfail at once (or, while many connect at once, the entry's own
      // connection limit); the server closes these, so they cost it nothing.
      turnedAway.open(layout.primary, BLOCKED, 500, "421 4.7.", Duration.ofSeconds(30));

      long t0 = System.nanoTime();
      try (RawSmtp c = new RawSmtp(InetAddress.getLoopbackAddress(), layout.primary, ALLOWED)) {
        assertThat(c.reply()).startsWith("220 ");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        assertThat(c.command("EHLO client.test")).startsWith("250");
        c.command("MAIL FROM:<a@client.test>");
        assertThat(c.command("RCPT TO:<served@example.test>")).startsWith("250");
        assertThat(c.command("DATA")).startsWith("354");
        assertThat(c.command("Subject: still served\r\n\r\nhi\r\n.")).startsWith("250");
      }
      assertThat(tarpitted.stillOpen()).isEqualTo(96);
      assertThat(server.log()).doesNotContain("Too many open files");
    }
  }

  @Test
  void beyondTarpitMaxAClientGetsAPlainTempfailAtOnce() throws Exception {
    TestLayout layout =
        new TestLayout(dir)
            .extra(BLOCK_ALLOW)
            .extra(
                "suppress: { action: tarpit, tarpit_interval: 1s, tarpit_hold: 2m,"
                    + " tarpit_max: 5 }")
            .probeFrom(ALLOWED);
    try (MxtrapProcess server = layout.start();
        HeldConnections tarpitted = new HeldConnections()) {
      tarpitted.open(layout.primary, BLOCKED, 5, "4", Duration.ofSeconds(20));

      long t0 = System.nanoTime();
      try (RawSmtp sixth = new RawSmtp(InetAddress.getLoopbackAddress(), layout.primary, BLOCKED)) {
        assertThat(sixth.reply()).isEqualTo(FINAL);
        assertThat(sixth.closedByServer()).isTrue();
      }
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));

      // A place comes free once the tarpit notices that a held client went away (at its next
      // byte): then a new client is held again.
      tarpitted.closeOne();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      boolean heldAgain = false;
      while (!heldAgain && System.nanoTime() < deadline) {
        try (Socket next = new Socket()) {
          next.bind(new InetSocketAddress(BLOCKED, 0));
          next.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), layout.primary));
          next.setSoTimeout(10_000);
          byte[] first = next.getInputStream().readNBytes(4);
          heldAgain = Arrays.equals(first, "421-".getBytes(StandardCharsets.US_ASCII));
        }
        if (!heldAgain) {
          Thread.sleep(50); // polling a condition with a deadline
        }
      }
      assertThat(heldAgain).as("a new client held after one left").isTrue();
      assertThat(server.log()).contains("tarpit full (5 held)");
    }
  }

  @Test
  void aHeldConnectionReceivesAWellFormedMultiLineReplyThenTheServerCloses() throws Exception {
    TestLayout layout =
        new TestLayout(dir)
            .extra(BLOCK_ALLOW)
            .extra(
                "suppress: { action: tarpit, tarpit_interval: 10ms, tarpit_hold: 2s,"
                    + " tarpit_max: 10 }")
            .probeFrom(ALLOWED);
    try (MxtrapProcess server = layout.start();
        RawSmtp c = new RawSmtp(InetAddress.getLoopbackAddress(), layout.primary, BLOCKED)) {
      long t0 = System.nanoTime();
      List<String> lines = c.reply().lines().toList();
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(c.closedByServer()).isTrue();

      // 200 bytes trickled (2 s / 10 ms), the line in progress completed, then the final line.
      int continued = (200 + CONTINUATION.length() + 1) / (CONTINUATION.length() + 2);
      assertThat(lines).hasSize(continued + 1);
      assertThat(lines.subList(0, lines.size() - 1)).containsOnly(CONTINUATION);
      assertThat(lines.getLast()).isEqualTo(FINAL);
      // A lower bound only: the server waits an interval after each of its 200 bytes.
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1_900));
    }
  }

  @Test
  void aStoppingServerEndsAHeldConnectionAtOnceWithTheRestOfIts421() throws Exception {
    TestLayout layout =
        new TestLayout(dir)
            .extra(BLOCK_ALLOW)
            .extra(
                "suppress: { action: tarpit, tarpit_interval: 100ms, tarpit_hold: 2m,"
                    + " tarpit_max: 10 }")
            .probeFrom(ALLOWED);
    try (MxtrapProcess server = layout.start();
        Socket held = new Socket()) {
      held.bind(new InetSocketAddress(BLOCKED, 0));
      held.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), layout.primary));
      held.setSoTimeout(30_000);
      byte[] first = held.getInputStream().readNBytes(4);
      assertThat(new String(first, StandardCharsets.US_ASCII)).isEqualTo("421-");

      // SIGTERM: the held client is not kept for the grace period (30 s), nor cut without a word.
      assertThat(server.stop()).isZero();
      String text =
          new String(first, StandardCharsets.US_ASCII)
              + new String(held.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      List<String> lines = text.lines().toList();
      assertThat(lines.subList(0, lines.size() - 1)).containsOnly(CONTINUATION);
      assertThat(lines.getLast()).isEqualTo(FINAL);
      assertThat(text).endsWith("\r\n");
      assertThat(server.log()).contains("server stopping");
    }
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (IOException e) {
      throw new IllegalArgumentException(literal, e);
    }
  }

  /**
   * Many client connections on one selector, without a thread each. {@link #open} connects them (at
   * most {@code PENDING} waiting for their first byte, so the server's accept queue never
   * overflows) and counts a connection once its first bytes equal the expected prefix; after that
   * nothing more is read.
   */
  private static final class HeldConnections implements AutoCloseable {
    private static final int PENDING = 200;
    private final Selector selector = Selector.open();
    private final List<SocketChannel> held = new ArrayList<>();

    HeldConnections() throws IOException {}

    /** What one connection received so far; {@code answered} once its first byte came. */
    private static final class Progress {
      final ByteBuffer got;
      boolean answered;

      Progress(int length) {
        got = ByteBuffer.allocate(length);
      }
    }

    void open(int port, InetAddress from, int n, String prefix, Duration limit) throws IOException {
      byte[] expected = prefix.getBytes(StandardCharsets.US_ASCII);
      InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
      long deadline = System.nanoTime() + limit.toNanos();
      int target = held.size() + n;
      int started = 0;
      int pending = 0;
      while (held.size() < target) {
        while (pending < PENDING && started < n) {
          SocketChannel ch = SocketChannel.open();
          try {
            ch.bind(new InetSocketAddress(from, 0));
            ch.configureBlocking(false);
            ch.connect(to);
            ch.register(selector, SelectionKey.OP_CONNECT, new Progress(expected.length));
          } catch (IOException e) {
            ch.close();
            throw e;
          }
          started++;
          pending++;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              held.size() + " of " + target + " connections got " + prefix + " within " + limit);
        }
        selector.select(Math.max(1, Math.min(1_000, left / 1_000_000)));
        for (SelectionKey k : selector.selectedKeys()) {
          SocketChannel ch = (SocketChannel) k.channel();
          Progress p = (Progress) k.attachment();
          if (k.isConnectable()) {
            ch.finishConnect();
            k.interestOps(SelectionKey.OP_READ);
          } else if (k.isReadable()) {
            if (ch.read(p.got) < 0) {
              throw new AssertionError("the server closed a connection before " + prefix);
            }
            if (!p.answered && p.got.position() > 0) {
              p.answered = true;
              pending--;
            }
            if (!p.got.hasRemaining()) {
              assertThat(new String(p.got.array(), StandardCharsets.US_ASCII)).isEqualTo(prefix);
              k.cancel(); // the rest waits in the kernel's receive buffer
              held.add(ch);
            }
          }
        }
        selector.selectedKeys().clear();
      }
      selector.selectNow(); // flush the cancelled keys
    }

    int count() {
      return held.size();
    }

    /** The held connections the server has not closed (end of stream not yet seen). */
    int stillOpen() throws IOException {
      int open = 0;
      ByteBuffer sink = ByteBuffer.allocate(4096);
      for (SocketChannel ch : held) {
        int n;
        do {
          sink.clear();
          n = ch.read(sink);
        } while (n > 0);
        if (n == 0) {
          open++;
        }
      }
      return open;
    }

    void closeOne() throws IOException {
      held.removeLast().close();
    }

    @Override
    public void close() throws IOException {
      for (SelectionKey k : selector.keys()) {
        k.channel().close();
      }
      for (SocketChannel ch : held) {
        ch.close();
      }
      selector.close();
    }
  }
}
