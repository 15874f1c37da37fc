package org.mxtrap.delivery;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.ReversePath;
import org.mxtrap.delivery.FakeSmtpPeer.Misbehaviour;
import org.mxtrap.testing.FakeClock;

/**
 * The connection cache against {@link FakeSmtpPeer}, on a {@link FakeClock}. Sessions are kept only
 * while another delivery to the address is in progress, so most tests first hold one delivery in
 * progress ({@link #hold()}): its content cannot be read until {@link #release()}.
 */
class ConnectionCacheTest {
  private static final Duration PATIENT = Duration.ofSeconds(10);
  // Times far beyond a test's run, so that the cache's own sweep never runs during one.
  private static final ConnectionCache.Limits LIMITS =
      new ConnectionCache.Limits(Duration.ofHours(1), Duration.ofHours(10), 100, 20, 100);
  private static final ForwardPath BOB = new ForwardPath(new Mailbox("bob", "example.test"));

  private final FakeClock clock = new FakeClock();
  private final CountDownLatch heldStarted = new CountDownLatch(1);
  private final CountDownLatch go = new CountDownLatch(1);
  private final AtomicReference<List<RecipientResult>> heldResult = new AtomicReference<>();
  private FakeSmtpPeer peer;
  private SmtpClient client;
  private ConnectionCache cache;
  private Thread held;

  @AfterEach
  void tearDown() throws Exception {
    go.countDown();
    if (held != null) {
      held.join();
    }
    if (cache != null) {
      cache.close();
    }
    if (client != null) {
      client.close();
    }
    if (peer != null) {
      peer.close();
    }
  }

  private ConnectionCache cache(ConnectionCache.Limits limits) {
    client =
        new SmtpClient(
            new SmtpClient.Settings(
                "backup.test", Protocol.SMTP, TlsPolicy.OFF, ClientTimeouts.all(PATIENT)));
    cache = new ConnectionCache(client, limits, clock);
    return cache;
  }

  private FakeSmtpPeer peer() throws IOException {
    peer = new FakeSmtpPeer(false);
    return peer;
  }

  private static OutboundMessage message(String subject, DeliveryAgent.Content content) {
    return new OutboundMessage(
        new ReversePath(new Mailbox("alice", "sender.test")),
        List.of(BOB),
        false,
        false,
        text(subject).length,
        content);
  }

  private static OutboundMessage message(String subject) {
    return message(subject, () -> new ByteArrayInputStream(text(subject)));
  }

  private static byte[] text(String subject) {
    return ("Subject: " + subject + "\r\n\r\nbody\r\n").getBytes(UTF_8);
  }

  private List<RecipientResult> send(String subject) throws IOException {
    return send(peer.address(), message(subject));
  }

  /** Open and send, as the agents do; the test fails when no session opens. */
  private List<RecipientResult> send(InetSocketAddress target, OutboundMessage m)
      throws IOException {
    Connect.Open open = (Connect.Open) cache.open("fake.test", target);
    return cache.send(open.session(), m);
  }

  /** Starts a delivery to the peer that stays in progress (on its own session) until release(). */
  private void hold() throws InterruptedException {
    InetSocketAddress target = peer.address();
    OutboundMessage m =
        message(
            "held",
            () -> {
              heldStarted.countDown();
              try {
                go.await();
              } catch (InterruptedException e) {
                throw new InterruptedIOException("interrupted");
              }
              return new ByteArrayInputStream(text("held"));
            });
    held =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    heldResult.set(send(target, m));
                  } catch (IOException e) {
                    throw new IllegalStateException(e);
                  }
                });
    heldStarted.await();
  }

  private void release() throws InterruptedException {
    go.countDown();
    held.join();
    assertDelivered(heldResult.get());
  }

  private static void assertDelivered(List<RecipientResult> results) {
    assertThat(results).singleElement().isInstanceOf(RecipientResult.Delivered.class);
  }

  private long said(String verb) {
    return peer.commands().stream().filter(c -> c.startsWith(verb)).count();
  }

  @Test
  void aLoneMessageIsFollowedByQuitAtOnce() throws Exception {
    peer().start();
    cache(LIMITS);

    assertDelivered(send("A"));

    assertThat(cache.idle()).isZero();
    assertThat(said("QUIT")).isEqualTo(1);
  }

  @Test
  void duringABacklogTwoMessagesGoOverOneConnection() throws Exception {
    peer().start();
    cache(LIMITS);
    hold();

    assertDelivered(send("A"));
    assertThat(cache.idle()).isEqualTo(1);
    assertDelivered(send("B"));
    release();

    // The held delivery's connection, and one for A and B.
    assertThat(peer.connections()).isEqualTo(2);
    assertThat(said("EHLO")).isEqualTo(2);
    assertThat(said("MAIL")).isEqualTo(3);
    assertThat(said("RSET")).isZero();
    assertThat(said("QUIT")).isEqualTo(1); // the held one's; A and B's session waits
    cache.close();
    assertThat(said("QUIT")).isEqualTo(2);
    assertThat(cache.idle()).isZero();
  }

  @Test
  void anIdleSessionPastTheLimitIsClosed() throws Exception {
    peer().start();
    cache(LIMITS);
    hold();
    assertDelivered(send("A"));

    clock.advance(LIMITS.idleTime().minusMillis(1));
    cache.closeExpired();
    assertThat(cache.idle()).isEqualTo(1);
    assertThat(said("QUIT")).isZero();

    clock.advance(Duration.ofMillis(1));
    cache.closeExpired();
    assertThat(cache.idle()).isZero();
    assertThat(said("QUIT")).isEqualTo(1);

    assertDelivered(send("B"));
    release();
    assertThat(peer.connections()).isEqualTo(3);
  }

  @Test
  void aSessionCarriesAtMostTheReuseCount() throws Exception {
    peer().start();
    cache(new ConnectionCache.Limits(Duration.ofHours(1), Duration.ofHours(10), 2, 20, 100));
    hold();

    assertDelivered(send("A"));
    assertDelivered(send("B"));
    assertThat(cache.idle()).isZero(); // two messages: closed
    assertDelivered(send("C"));
    release();

    assertThat(peer.connections()).isEqualTo(3);
  }

  @Test
  void aSessionThatHeard421IsClosedNotKept() throws Exception {
    peer().rcptReply("bob", "421 4.3.2 fake.test shutting down").start();
    cache(LIMITS);
    hold();

    assertThat(send("A")).singleElement().isInstanceOf(RecipientResult.Deferred.class);
    assertThat(cache.idle()).isZero();
  }

  @ParameterizedTest
  @EnumSource(names = {"CLOSE_AFTER_MESSAGE", "GOODBYE_AFTER_MESSAGE"})
  void aSessionThePeerClosedWhileIdleIsReplacedAndTheMessageSentOnce(Misbehaviour m)
      throws Exception {
    peer().misbehave(m).start();
    cache(LIMITS);
    hold();
    assertDelivered(send("A"));
    assertThat(cache.idle()).isEqualTo(1); // we do not know yet that the peer closed it

    assertDelivered(send("B"));
    release();

    assertThat(peer.connections()).isEqualTo(3);
    assertThat(peer.messages()).filteredOn(c -> c.startsWith("Subject: B")).hasSize(1);
    assertThat(peer.messages()).hasSize(3);
  }

  @Test
  void aReusedSessionLostAfterThePeerAnsweredIsNeverSentAgain() throws Exception {
    peer().start();
    cache(LIMITS);
    hold();
    assertDelivered(send("A"));
    assertThat(cache.idle()).isEqualTo(1);

    peer.misbehave(Misbehaviour.DISCONNECT_MID_DATA);
    List<RecipientResult> b = send("B");
    go.countDown(); // the held delivery meets the same peer: whatever it gets is not the point
    held.join();

    assertThat(b).singleElement().isInstanceOf(RecipientResult.Deferred.class);
    // MAIL was answered on the reused session: the peer may have taken it; the queue decides.
    assertThat(peer.connections()).isEqualTo(2);
    assertThat(said("MAIL")).isEqualTo(3);
  }
}
