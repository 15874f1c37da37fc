package org.mxtrap.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxtrap.queue.SpoolFixtures.CONTENT;
import static org.mxtrap.queue.SpoolFixtures.envelope;
import static org.mxtrap.queue.SpoolFixtures.ip;
import static org.mxtrap.queue.SpoolFixtures.trace;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.dns.MxLocator;
import org.mxtrap.dns.ThisHost;
import org.mxtrap.testing.FakeClock;
import org.mxtrap.testing.FakeDns;

/**
 * The backup's forwarding by MX order, against scripted peers on distinct 127.0.0.x addresses, one
 * per MX host. This host is the backup {@code mx2.example.com} on 127.0.0.3 (MX 20); its ports for
 * other MX hosts come from the layout built in each test.
 */
class MxDeliveryAgentTest {
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  static final ThisHost SELF = new ThisHost(Set.of("mx2.example.com"), Set.of(ip("127.0.0.3")));

  final FakeClock clock = new FakeClock();
  final FakeDns dns = new FakeDns();
  final List<LayoutEntry> layout = new ArrayList<>();
  final List<FakeSmtpPeer> peers = new ArrayList<>();
  MxDeliveryAgent agent;

  @AfterEach
  void tearDown() throws Exception {
    if (agent != null) {
      agent.close();
    }
    for (FakeSmtpPeer p : peers) {
      p.close();
    }
  }

  /** A started peer on {@code address}, in the layout as {@code host} with {@code role}. */
  private FakeSmtpPeer peer(int preference, String host, String address, Role role)
      throws IOException {
    FakeSmtpPeer p = new FakeSmtpPeer(false, ip(address)).offer("8BITMIME");
    peers.add(p);
    layout.add(new LayoutEntry(preference, host, ip(address), p.address().getPort(), role));
    return p;
  }

  private MxDeliveryAgent agent() {
    agent =
        new MxDeliveryAgent(
            new SmtpClient.Settings(
                "mx2.example.com", Protocol.SMTP, TlsPolicy.OFF, ClientTimeouts.all(TIMEOUT)),
            new MxLocator(dns, new SplittableRandom(1), MxLocator.Limits.DEFAULTS),
            SELF,
            new Layout(layout),
            clock);
    return agent;
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

  private static DeliveryAgent.Delivery toAlice() {
    return delivery(envelope("bob@example.org", "alice@example.com"));
  }

  private static List<String> outcomes(List<RecipientResult> results) {
    return results.stream().map(r -> r.getClass().getSimpleName() + " " + r.status()).toList();
  }

  @Test
  void forwardsToTheMoreFavouredMxOnItsLayoutPort() throws Exception {
    FakeSmtpPeer primary = peer(10, "mx1.example.com", "127.0.0.2", Role.PRIMARY).start();
    dns.mx("example.com", "10 mx1.example.com", "20 mx2.example.com")
        .address("mx1.example.com", "127.0.0.2")
        .address("mx2.example.com", "127.0.0.3");

    List<RecipientResult> results = agent().deliver(toAlice());

    assertThat(outcomes(results)).containsExactly("Delivered 2.0.0");
    assertThat(results.get(0).relay())
        .isEqualTo("mx1.example.com[127.0.0.2]:" + primary.address().getPort());
    primary.close();
    assertThat(primary.messages())
        .singleElement()
        .asString()
        .contains("by mx2.example.com")
        .contains("for <alice@example.com>;")
        .endsWith(CONTENT);
  }

  @Test
  void neverForwardsToItselfOrToATrap() throws Exception {
    // A trap that DNS (wrongly) publishes as the most preferred MX, and this host listening too.
    FakeSmtpPeer trap = peer(5, "mx0.example.com", "127.0.0.4", Role.TRAP).start();
    FakeSmtpPeer primary = peer(10, "mx1.example.com", "127.0.0.2", Role.PRIMARY).start();
    FakeSmtpPeer self = peer(20, "mx2.example.com", "127.0.0.3", Role.BACKUP).start();
    dns.mx("example.com", "5 mx0.example.com", "10 mx1.example.com", "20 mx2.example.com")
        .address("mx0.example.com", "127.0.0.4")
        .address("mx1.example.com", "127.0.0.2")
        .address("mx2.example.com", "127.0.0.3");

    assertThat(outcomes(agent().deliver(toAlice()))).containsExactly("Delivered 2.0.0");

    trap.close();
    self.close();
    primary.close();
    assertThat(trap.connections()).isZero();
    assertThat(self.connections()).isZero();
    assertThat(primary.messages()).hasSize(1);
  }

  @Test
  void nothingBetterThanThisHostIsDeferredWithoutAConnection() throws Exception {
    // This host is the most preferred MX: forwarding to the worse one would loop.
    FakeSmtpPeer worse = peer(30, "mx3.example.com", "127.0.0.2", Role.BACKUP).start();
    dns.mx("example.com", "20 mx2.example.com", "30 mx3.example.com")
        .address("mx2.example.com", "127.0.0.3")
        .address("mx3.example.com", "127.0.0.2");

    List<RecipientResult> results = agent().deliver(toAlice());

    assertThat(outcomes(results)).containsExactly("Deferred 4.4.4");
    worse.close();
    assertThat(worse.connections()).isZero();
  }

  @Test
  void aRefusedConnectionMovesOnToTheNextMx() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, ip("127.0.0.5"))) {
      closed = s.getLocalPort();
    }
    layout.add(new LayoutEntry(10, "mx1.example.com", ip("127.0.0.5"), closed, Role.PRIMARY));
    FakeSmtpPeer other = peer(15, "mx1b.example.com", "127.0.0.2", Role.PRIMARY).start();
    dns.mx("example.com", "10 mx1.example.com", "15 mx1b.example.com", "20 mx2.example.com")
        .address("mx1.example.com", "127.0.0.5")
        .address("mx1b.example.com", "127.0.0.2")
        .address("mx2.example.com", "127.0.0.3");

    List<RecipientResult> results = agent().deliver(toAlice());

    assertThat(outcomes(results)).containsExactly("Delivered 2.0.0");
    assertThat(results.get(0).relay()).startsWith("mx1b.example.com[127.0.0.2]");
  }

  @Test
  void anAddressThatJustFailedIsSkippedUntilItsMemoryEnds() throws Exception {
    FakeSmtpPeer failing =
        peer(10, "mx1.example.com", "127.0.0.5", Role.PRIMARY)
            .misbehave(FakeSmtpPeer.Misbehaviour.GREETING_421)
            .start();
    FakeSmtpPeer other = peer(15, "mx1b.example.com", "127.0.0.2", Role.PRIMARY).start();
    dns.mx("example.com", "10 mx1.example.com", "15 mx1b.example.com", "20 mx2.example.com")
        .address("mx1.example.com", "127.0.0.5")
        .address("mx1b.example.com", "127.0.0.2")
        .address("mx2.example.com", "127.0.0.3");
    agent();

    assertThat(outcomes(agent.deliver(toAlice()))).containsExactly("Delivered 2.0.0");
    assertThat(failing.connections()).isEqualTo(1);

    // The next message goes straight to the second MX.
    clock.advance(MxDeliveryAgent.DEAD_HOST_MEMORY.minusSeconds(1));
    assertThat(outcomes(agent.deliver(toAlice()))).containsExactly("Delivered 2.0.0");
    assertThat(failing.connections()).isEqualTo(1);

    // Forgotten: tried first again.
    clock.advance(Duration.ofSeconds(1));
    assertThat(outcomes(agent.deliver(toAlice()))).containsExactly("Delivered 2.0.0");
    failing.close();
    other.close();
    assertThat(failing.connections()).isEqualTo(2);
    assertThat(other.messages()).hasSize(3);
  }

  @Test
  void theDeadHostMemoryKeepsOnlyTheLastMinutesFailures() throws Exception {
    peer(10, "mx1.example.com", "127.0.0.5", Role.PRIMARY)
        .misbehave(FakeSmtpPeer.Misbehaviour.GREETING_421)
        .start();
    peer(10, "mx.example.net", "127.0.0.6", Role.PRIMARY)
        .misbehave(FakeSmtpPeer.Misbehaviour.GREETING_421)
        .start();
    dns.mx("example.com", "10 mx1.example.com", "20 mx2.example.com")
        .mx("example.net", "10 mx.example.net", "20 mx2.example.com")
        .address("mx1.example.com", "127.0.0.5")
        .address("mx.example.net", "127.0.0.6")
        .address("mx2.example.com", "127.0.0.3");
    agent();

    agent.deliver(toAlice());
    assertThat(agent.remembered()).isEqualTo(1);
    clock.advance(MxDeliveryAgent.DEAD_HOST_MEMORY);
    agent.deliver(delivery(envelope("bob@example.org", "erin@example.net")));

    assertThat(agent.remembered())
        .as("example.com's MX forgotten, example.net's kept")
        .isEqualTo(1);
  }

  @Test
  void whenEveryBetterMxFailsTheRecipientsWaitEvenAfterA5xxGreeting() throws Exception {
    peer(10, "mx1.example.com", "127.0.0.2", Role.PRIMARY)
        .misbehave(FakeSmtpPeer.Misbehaviour.GREETING_421)
        .start();
    FakeSmtpPeer refusing =
        peer(15, "mx1b.example.com", "127.0.0.5", Role.PRIMARY)
            .misbehave(FakeSmtpPeer.Misbehaviour.GREETING_554)
            .start();
    dns.mx("example.com", "10 mx1.example.com", "15 mx1b.example.com", "20 mx2.example.com")
        .address("mx1.example.com", "127.0.0.2")
        .address("mx1b.example.com", "127.0.0.5")
        .address("mx2.example.com", "127.0.0.3");

    List<RecipientResult> results =
        agent()
            .deliver(delivery(envelope("bob@example.org", "alice@example.com", "c@example.com")));

    assertThat(results).hasSize(2).allMatch(r -> r instanceof RecipientResult.Deferred);
    assertThat(results.get(0).relay()).startsWith("mx1b.example.com[127.0.0.5]");

    // Both are remembered: the next message makes no connection and waits too.
    assertThat(outcomes(agent.deliver(toAlice())))
        .singleElement()
        .asString()
        .startsWith("Deferred");
    refusing.close();
    assertThat(refusing.connections()).isEqualTo(1);
  }

  @Test
  void aPermanentRefusalFailsTheRecipientAndATemporaryOneDefersItAtTheSameMx() throws Exception {
    FakeSmtpPeer primary =
        peer(10, "mx1.example.com", "127.0.0.2", Role.PRIMARY)
            .rcptReply("carol", "550 5.1.1 carol: no such user")
            .rcptReply("dave", "450 4.2.1 dave: try again later")
            .start();
    FakeSmtpPeer second = peer(15, "mx1b.example.com", "127.0.0.5", Role.PRIMARY).start();
    dns.mx("example.com", "10 mx1.example.com", "15 mx1b.example.com", "20 mx2.example.com")
        .address("mx1.example.com", "127.0.0.2")
        .address("mx1b.example.com", "127.0.0.5")
        .address("mx2.example.com", "127.0.0.3");

    List<RecipientResult> results =
        agent()
            .deliver(
                delivery(
                    envelope(
                        "bob@example.org",
                        "alice@example.com",
                        "carol@example.com",
                        "dave@example.com")));

    assertThat(outcomes(results))
        .containsExactly("Delivered 2.0.0", "Failed 5.1.1", "Deferred 4.2.1");
    primary.close();
    second.close();
    assertThat(second.connections()).isZero();
  }

  @Test
  void recipientsOfSeveralDomainsGoToTheirOwnMxAndKeepTheirOrder() throws Exception {
    FakeSmtpPeer com = peer(10, "mx1.example.com", "127.0.0.2", Role.PRIMARY).start();
    FakeSmtpPeer net = peer(10, "mx.example.net", "127.0.0.5", Role.PRIMARY).start();
    dns.mx("example.com", "10 mx1.example.com", "20 mx2.example.com")
        .mx("example.net", "10 mx.example.net", "20 mx2.example.com")
        .address("mx1.example.com", "127.0.0.2")
        .address("mx.example.net", "127.0.0.5")
        .address("mx2.example.com", "127.0.0.3");

    List<RecipientResult> results =
        agent()
            .deliver(
                delivery(
                    envelope(
                        "bob@example.org",
                        "alice@example.com",
                        "erin@example.net",
                        "carol@example.com")));

    assertThat(results)
        .extracting(r -> r.recipient().toString() + " " + r.relay().split("\\[")[0])
        .containsExactly(
            "<alice@example.com> mx1.example.com",
            "<erin@example.net> mx.example.net",
            "<carol@example.com> mx1.example.com");
    com.close();
    net.close();
    assertThat(com.messages()).singleElement().asString().doesNotContain(" for ");
    assertThat(net.messages()).singleElement().asString().contains("for <erin@example.net>;");
  }
}
