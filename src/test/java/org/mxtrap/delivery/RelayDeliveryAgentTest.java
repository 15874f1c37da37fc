package org.mxtrap.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxtrap.queue.SpoolFixtures.CONTENT;
import static org.mxtrap.queue.SpoolFixtures.enqueue;
import static org.mxtrap.queue.SpoolFixtures.envelope;
import static org.mxtrap.queue.SpoolFixtures.trace;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.Envelope;
import org.mxtrap.queue.QueueEntry;
import org.mxtrap.queue.Spool;
import org.mxtrap.testing.FakeClock;
import org.mxtrap.testing.RecordingEvents;

class RelayDeliveryAgentTest {
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path data;
  final FakeClock clock = new FakeClock();
  FakeSmtpPeer peer;
  RelayDeliveryAgent agent;
  Spool spool;
  QueueRunner runner;

  @AfterEach
  void tearDown() throws Exception {
    if (runner != null) {
      runner.close();
    }
    if (spool != null) {
      spool.close();
    }
    if (agent != null) {
      agent.close();
    }
    if (peer != null) {
      peer.close();
    }
  }

  private RelayDeliveryAgent agent(Protocol protocol, int port) {
    agent =
        new RelayDeliveryAgent(
            new SmtpClient.Settings(
                "mail.example.com", protocol, TlsPolicy.OFF, ClientTimeouts.all(TIMEOUT)),
            "127.0.0.1",
            port);
    return agent;
  }

  private FakeSmtpPeer peer(boolean lmtp) throws IOException {
    peer = new FakeSmtpPeer(lmtp);
    return peer;
  }

  private QueueRunner runner() throws IOException {
    spool = Spool.open(data.resolve("queue"), clock);
    runner =
        new QueueRunner(
            spool,
            agent,
            QueueRunnerTest.SETTINGS,
            clock,
            "mail.example.com",
            new RecordingEvents());
    return runner;
  }

  private static DeliveryAgent.Delivery delivery(Envelope e) {
    byte[] content = CONTENT.getBytes(StandardCharsets.UTF_8);
    return new DeliveryAgent.Delivery(
        "Q1",
        e,
        trace(),
        e.recipients(),
        () -> new ByteArrayInputStream(content),
        DeliveryAgent.Prior.NONE);
  }

  @Test
  void handsTheMessageWithOurReceivedHeaderToTheRelay() throws Exception {
    peer(false).offer("PIPELINING").offer("8BITMIME").offer("SIZE 100000").start();
    agent(Protocol.SMTP, peer.address().getPort());

    List<RecipientResult> results =
        agent.deliver(delivery(envelope("bob@example.org", "alice@example.com")));

    assertThat(results).singleElement().isInstanceOf(RecipientResult.Delivered.class);
    assertThat(results.get(0).relay())
        .isEqualTo("127.0.0.1[127.0.0.1]:" + peer.address().getPort());
    peer.close();
    assertThat(peer.commands())
        .contains(
            "MAIL FROM:<bob@example.org> SIZE=" + size(peer.messages().get(0)) + " BODY=8BITMIME")
        .contains("RCPT TO:<alice@example.com>", "QUIT");
    assertThat(peer.messages())
        .singleElement()
        .asString()
        .startsWith("Received: from mail.example.org (mail.example.org [192.0.2.7])\r\n")
        .contains("by mail.example.com ([192.0.2.10]:25, primary, MX 10)")
        .contains("id Q1\r\n\tfor <alice@example.com>;")
        .endsWith("\r\n" + CONTENT);
  }

  private static long size(String message) {
    return message.getBytes(StandardCharsets.UTF_8).length;
  }

  @Test
  void severalRecipientsGoInOneTransactionAndTheHeaderNamesNone() throws Exception {
    peer(false).offer("8BITMIME").start();
    agent(Protocol.SMTP, peer.address().getPort());

    List<RecipientResult> results =
        agent.deliver(
            delivery(envelope("bob@example.org", "alice@example.com", "carol@example.com")));

    assertThat(results).allMatch(r -> r instanceof RecipientResult.Delivered);
    peer.close();
    assertThat(peer.connections()).isEqualTo(1);
    assertThat(peer.messages())
        .singleElement()
        .asString()
        .contains("id Q1;")
        .doesNotContain(" for ");
  }

  @Test
  void aRelayThatIsDownDefersEveryRecipient() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    agent(Protocol.SMTP, closed);

    List<RecipientResult> results =
        agent.deliver(
            delivery(envelope("bob@example.org", "alice@example.com", "carol@example.com")));

    assertThat(results)
        .hasSize(2)
        .allMatch(r -> r instanceof RecipientResult.Deferred)
        .allMatch(r -> r.status().equals(ClientSession.NO_ANSWER));
  }

  @Test
  void lmtpGivesEachRecipientItsOwnResult() throws Exception {
    peer(true)
        .offer("PIPELINING")
        .offer("8BITMIME")
        .dataReply("carol", "552 5.2.2 carol is over quota")
        .dataReply("dave", "452 4.2.2 dave's mailbox is busy")
        .start();
    agent(Protocol.LMTP, peer.address().getPort());

    List<RecipientResult> results =
        agent.deliver(
            delivery(
                envelope(
                    "bob@example.org",
                    "alice@example.com",
                    "carol@example.com",
                    "dave@example.com")));

    assertThat(results)
        .extracting(r -> r.getClass().getSimpleName() + " " + r.status())
        .containsExactly("Delivered 2.0.0", "Failed 5.2.2", "Deferred 4.2.2");
    peer.close();
    assertThat(peer.commands()).anyMatch(c -> c.startsWith("LHLO mail.example.com"));
  }

  @Test
  void aRecipientTheRelayRefusesBouncesThroughTheQueueRunner() throws Exception {
    peer(false).offer("8BITMIME").rcptReply("carol", "550 5.1.1 carol: no such user").start();
    agent(Protocol.SMTP, peer.address().getPort());
    runner();
    String id = enqueue(spool, "bob@example.org", "alice@example.com", "carol@example.com");

    // The message, then the DSN to its remote sender, relayed like any other message.
    assertThat(runner.runDue()).isEqualTo(2);

    assertThat(spool.list()).isEmpty();
    peer.close();
    assertThat(peer.messages()).hasSize(2);
    assertThat(peer.messages().get(0)).contains("id " + id + ";");
    assertThat(peer.messages().get(1))
        .contains("Final-Recipient: rfc822; carol@example.com\r\nAction: failed\r\nStatus: 5.1.1")
        .doesNotContain("Final-Recipient: rfc822; alice@example.com");
    assertThat(peer.commands())
        .anyMatch(c -> c.startsWith("MAIL FROM:<>"))
        .contains("RCPT TO:<bob@example.org>");
  }

  @Test
  void aTemporaryRefusalIsDeferredAndTriedAgain() throws Exception {
    peer(false).offer("8BITMIME").rcptReply("alice", "450 4.2.1 alice: try again later").start();
    agent(Protocol.SMTP, peer.address().getPort());
    runner();
    String id = enqueue(spool, "bob@example.org", "alice@example.com");

    assertThat(runner.runDue()).isEqualTo(1);
    QueueEntry e = spool.find(id).orElseThrow();
    assertThat(e.recipients().get(0).dsn()).isEqualTo("4.2.1");
    assertThat(e.nextAttempt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(1)));

    clock.set(e.nextAttempt());
    assertThat(runner.runDue()).isEqualTo(1);
    assertThat(spool.find(id).orElseThrow().attempts()).isEqualTo(2);
    peer.close();
    assertThat(peer.connections()).isEqualTo(2);
    assertThat(peer.messages()).isEmpty();
  }
}
