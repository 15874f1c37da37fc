package org.mxtrap.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.observe.Events;
import org.mxtrap.smtp.Replies;
import org.mxtrap.smtp.wire.SmtpReply;

/**
 * The tarpit's pacing, driven by {@link Tarpit#advance(long)} with made-up times (the pacing thread
 * is never started) over channels that record what they are given.
 */
class TarpitTest {
  private static final long SECOND = Duration.ofSeconds(1).toNanos();
  private static final long T0 = 1_000 * SECOND;
  private static final SmtpReply REPLY = Replies.refusedForNow("mail.example.test");

  @Test
  void theReplyTricklesOneBytePerIntervalForTheHoldThenComesWhole() {
    Tarpit t = new Tarpit(Duration.ofSeconds(1), Duration.ofSeconds(100), 10, Events.NONE);
    RecordingChannel c = new RecordingChannel();
    assertThat(t.tryEnter()).isTrue();
    t.hold(c, REPLY, "S1", "[192.0.2.7]:1234");

    assertThat(t.advance(T0)).isEqualTo(SECOND);
    assertThat(c.text()).isEqualTo("4");
    // Nothing before the interval is over.
    assertThat(t.advance(T0 + SECOND / 2)).isEqualTo(SECOND / 2);
    assertThat(c.text()).isEqualTo("4");
    for (int i = 1; i < 100; i++) {
      t.advance(T0 + i * SECOND);
      assertThat(c.received()).hasSize(i + 1);
    }
    assertThat(c.open).isTrue();
    // One interval after the 100th byte: the line in progress completed, the reply, the close.
    assertThat(t.advance(T0 + 100 * SECOND)).isEqualTo(-1);
    assertThat(c.open).isFalse();
    assertThat(t.held()).isZero();

    String text = c.text();
    assertThat(text).endsWith(REPLY.render());
    List<String> lines = text.lines().toList();
    assertThat(lines.subList(0, lines.size() - 1))
        .containsOnly(REPLY.firstLine().replaceFirst("^421 ", "421-"))
        .hasSize((100 + REPLY.firstLine().length() + 1) / (REPLY.firstLine().length() + 2));
    assertThat(lines.getLast()).isEqualTo(REPLY.firstLine());
    assertThat(text.replace("\r\n", "")).doesNotContain("\r", "\n");
  }

  @Test
  void theTarpitHoldsAtMostMaxConnections() {
    Tarpit t = new Tarpit(Duration.ofSeconds(1), Duration.ofSeconds(1), 2, Events.NONE);
    assertThat(t.tryEnter()).isTrue();
    assertThat(t.tryEnter()).isTrue();
    assertThat(t.tryEnter()).isFalse();
    t.leave();
    assertThat(t.tryEnter()).isTrue();
    assertThat(t.held()).isEqualTo(2);
  }

  @Test
  void eachConnectionKeepsItsOwnPace() {
    Tarpit t = new Tarpit(Duration.ofSeconds(1), Duration.ofSeconds(10), 10, Events.NONE);
    RecordingChannel a = hold(t);
    t.advance(T0);
    RecordingChannel b = hold(t);
    assertThat(t.advance(T0 + SECOND / 4)).isEqualTo(SECOND * 3 / 4);
    assertThat(a.received()).hasSize(1);
    assertThat(b.received()).hasSize(1);
    t.advance(T0 + SECOND);
    assertThat(a.received()).hasSize(2);
    assertThat(b.received()).hasSize(1);
    assertThat(t.advance(T0 + SECOND * 5 / 4)).isEqualTo(SECOND * 3 / 4);
    assertThat(b.received()).hasSize(2);
  }

  @Test
  void aLatePacerSendsOneByteNotTheBacklog() {
    Tarpit t = new Tarpit(Duration.ofSeconds(1), Duration.ofSeconds(10), 10, Events.NONE);
    RecordingChannel c = hold(t);
    t.advance(T0);
    assertThat(t.advance(T0 + 5 * SECOND)).isEqualTo(SECOND);
    assertThat(c.received()).hasSize(2);
  }

  @Test
  void aByteTheClientCannotTakeIsSentAgainLaterNeverSkipped() {
    Tarpit t = new Tarpit(Duration.ofSeconds(1), Duration.ofSeconds(10), 10, Events.NONE);
    RecordingChannel c = hold(t);
    t.advance(T0);
    c.room = 0; // the client's receive window is full
    t.advance(T0 + SECOND);
    t.advance(T0 + 2 * SECOND);
    c.room = Integer.MAX_VALUE;
    t.advance(T0 + 3 * SECOND);
    assertThat(c.text()).isEqualTo("42");
    assertThat(c.open).isTrue();
  }

  @Test
  void aClientThatNeverReadsIsClosedAfterTwiceTheHold() {
    Tarpit t = new Tarpit(Duration.ofSeconds(1), Duration.ofSeconds(10), 10, Events.NONE);
    RecordingChannel c = hold(t);
    t.advance(T0);
    c.room = 0;
    for (int i = 1; i <= 20; i++) {
      t.advance(T0 + i * SECOND);
    }
    assertThat(c.open).isTrue();
    assertThat(t.advance(T0 + 21 * SECOND)).isEqualTo(-1);
    assertThat(c.open).isFalse();
    assertThat(t.held()).isZero();
  }

  @Test
  void aClientThatLeftIsLetGoAndItsPlaceGivenBack() {
    Tarpit t = new Tarpit(Duration.ofSeconds(1), Duration.ofSeconds(10), 1, Events.NONE);
    RecordingChannel c = hold(t);
    t.advance(T0);
    assertThat(t.tryEnter()).isFalse();
    c.gone = true;
    assertThat(t.advance(T0 + SECOND)).isEqualTo(-1);
    assertThat(c.open).isFalse();
    assertThat(t.tryEnter()).isTrue();
  }

  @Test
  void closingEndsEveryHeldConnectionAtOnceWithTheRestOfItsReply() {
    Tarpit t = new Tarpit(Duration.ofSeconds(1), Duration.ofSeconds(100), 10, Events.NONE);
    RecordingChannel early = hold(t);
    t.advance(T0);
    t.advance(T0 + SECOND);
    RecordingChannel late = hold(t); // arrived, not yet paced
    t.close();
    assertThat(early.open).isFalse();
    assertThat(late.open).isFalse();
    assertThat(early.text()).startsWith("42").endsWith(REPLY.render());
    assertThat(late.text()).isEqualTo(REPLY.render());
    assertThat(t.held()).isZero();

    // Handed over after the close: ended at once too.
    RecordingChannel after = hold(t);
    assertThat(after.open).isFalse();
    assertThat(after.text()).isEqualTo(REPLY.render());
    assertThat(t.held()).isZero();
  }

  @Test
  void aBlockingSocketIsRefused() throws IOException {
    Tarpit t = new Tarpit(Duration.ofSeconds(1), Duration.ofSeconds(10), 10, Events.NONE);
    try (SocketChannel blocking = SocketChannel.open()) {
      assertThatThrownBy(() -> t.hold(blocking, REPLY, "S", "client"))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  private static RecordingChannel hold(Tarpit t) {
    RecordingChannel c = new RecordingChannel();
    assertThat(t.tryEnter()).isTrue();
    t.hold(c, REPLY, "S", "[192.0.2.7]:1234");
    return c;
  }

  /** A client connection: takes up to {@code room} bytes per write, or fails when {@code gone}. */
  private static final class RecordingChannel implements WritableByteChannel {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int room = Integer.MAX_VALUE;
    boolean gone;
    boolean open = true;

    @Override
    public int write(ByteBuffer src) throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
      if (gone) {
        throw new IOException("Broken pipe");
      }
      int n = Math.min(room, src.remaining());
      for (int i = 0; i < n; i++) {
        bytes.write(src.get());
      }
      return n;
    }

    byte[] received() {
      return bytes.toByteArray();
    }

    String text() {
      return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      open = false;
    }
  }
}
