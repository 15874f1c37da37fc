package org.mxtrap.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.Mailboxes.Answer;
import org.mxtrap.delivery.FakeSmtpPeer.Misbehaviour;
import org.mxtrap.testing.FakeClock;
import org.mxtrap.testing.FreePorts;

/** {@code recipients.mode: verify} against a relay played by {@link FakeSmtpPeer}. */
class RecipientVerifierTest {
  private static final Duration TTL = Duration.ofDays(1);
  private static final Duration PATIENT = Duration.ofSeconds(10);
  private static final Duration SHORT = Duration.ofMillis(300);

  private static final Mailbox BOB = new Mailbox("bob", "example.test");
  private static final Mailbox NOBODY = new Mailbox("nobody", "example.test");

  private final FakeClock clock = new FakeClock();
  private FakeSmtpPeer peer;
  private RelayDeliveryAgent relay;
  private RecipientVerifier verifier;

  @AfterEach
  void tearDown() throws Exception {
    if (verifier != null) {
      verifier.close();
    }
    if (relay != null) {
      relay.close();
    }
    if (peer != null) {
      peer.close();
    }
  }

  /**
   * A verifier asking the relay at {@code port}, waiting {@code budget}, each step {@code step}.
   */
  private RecipientVerifier verifier(Protocol protocol, int port, Duration budget, Duration step) {
    relay =
        new RelayDeliveryAgent(
            new SmtpClient.Settings(
                "backup.test", protocol, TlsPolicy.OFF, ClientTimeouts.all(PATIENT)),
            "127.0.0.1",
            port);
    verifier = new RecipientVerifier(relay, TTL, clock, budget, ClientTimeouts.all(step));
    return verifier;
  }

  private RecipientVerifier verifying(FakeSmtpPeer p) {
    peer = p.start();
    return verifier(Protocol.SMTP, peer.address().getPort(), PATIENT, PATIENT);
  }

  @Test
  void aTwoHundredFiftyAcceptsAndIsKept() throws Exception {
    RecipientVerifier v = verifying(new FakeSmtpPeer(false));
    assertThat(v.lookup(BOB)).isEqualTo(Answer.EXISTS);
    assertThat(v.lookup(new Mailbox("Bob", "example.test"))).isEqualTo(Answer.EXISTS);
    assertThat(v.cachedCount()).isEqualTo(1);
    peer.close();
    assertThat(peer.connections()).as("the folded mailbox asked once").isEqualTo(1);
    assertThat(peer.commands())
        .containsExactly(
            "EHLO backup.test", "MAIL FROM:<>", "RCPT TO:<bob@example.test>", "RSET", "QUIT");
  }

  @Test
  void aFiveFiftyRefusesAndIsKeptSoTheNextRcptAsksNoOne() throws Exception {
    RecipientVerifier v =
        verifying(new FakeSmtpPeer(false).rcptReply("nobody", "550 5.1.1 no such user"));
    assertThat(v.lookup(NOBODY)).isEqualTo(Answer.UNKNOWN);
    assertThat(v.lookup(NOBODY)).isEqualTo(Answer.UNKNOWN);
    peer.close();
    assertThat(peer.connections()).isEqualTo(1);
  }

  @Test
  void aKeptRefusalHoldsWhileTheNextHopIsDown() throws Exception {
    RecipientVerifier v =
        verifying(new FakeSmtpPeer(false).rcptReply("nobody", "550 5.1.1 no such user"));
    assertThat(v.lookup(NOBODY)).isEqualTo(Answer.UNKNOWN);
    peer.close();
    assertThat(v.lookup(NOBODY)).isEqualTo(Answer.UNKNOWN);
    assertThat(v.lookup(BOB)).as("never asked, and no one to ask").isEqualTo(Answer.EXISTS);
  }

  @Test
  void aKeptAnswerExpiresAfterTheTtl() throws Exception {
    RecipientVerifier v =
        verifying(new FakeSmtpPeer(false).rcptReply("nobody", "550 5.1.1 no such user"));
    assertThat(v.lookup(NOBODY)).isEqualTo(Answer.UNKNOWN);
    clock.advance(TTL.minusSeconds(1));
    assertThat(v.lookup(NOBODY)).isEqualTo(Answer.UNKNOWN);
    clock.advance(Duration.ofSeconds(1));
    assertThat(v.lookup(NOBODY)).isEqualTo(Answer.UNKNOWN);
    peer.close();
    assertThat(peer.connections()).as("asked again once expired").isEqualTo(2);
  }

  @Test
  void aFourFiftyAcceptsAndIsNotKept() throws Exception {
    RecipientVerifier v =
        verifying(new FakeSmtpPeer(false).rcptReply("bob", "450 4.2.0 mailbox busy"));
    assertThat(v.lookup(BOB)).isEqualTo(Answer.EXISTS);
    assertThat(v.cachedCount()).isZero();
    assertThat(v.lookup(BOB)).isEqualTo(Answer.EXISTS);
    peer.close();
    assertThat(peer.connections()).isEqualTo(2);
  }

  @Test
  void aRefusedNullSenderCannotTellAndAccepts() throws Exception {
    RecipientVerifier v = verifying(new FakeSmtpPeer(false).misbehave(Misbehaviour.GREETING_554));
    assertThat(v.lookup(BOB)).isEqualTo(Answer.EXISTS);
    assertThat(v.cachedCount()).isZero();
  }

  @Test
  void aRefusedConnectionAcceptsAndIsNotKept() {
    RecipientVerifier v = verifier(Protocol.SMTP, FreePorts.next(), PATIENT, PATIENT);
    assertThat(v.lookup(NOBODY)).isEqualTo(Answer.EXISTS);
    assertThat(v.cachedCount()).isZero();
  }

  @Test
  void aPeerThatNeverGreetsTimesOutAndAccepts() throws Exception {
    peer = new FakeSmtpPeer(false).misbehave(Misbehaviour.HANG_AT_GREETING).start();
    RecipientVerifier v = verifier(Protocol.SMTP, peer.address().getPort(), PATIENT, SHORT);
    assertThat(v.lookup(NOBODY)).isEqualTo(Answer.EXISTS);
    assertThat(v.cachedCount()).isZero();
  }

  @Test
  void aProbeOverItsBudgetAcceptsWithoutWaitingForIt() throws Exception {
    peer = new FakeSmtpPeer(false).misbehave(Misbehaviour.HANG_AT_GREETING).start();
    RecipientVerifier v = verifier(Protocol.SMTP, peer.address().getPort(), SHORT, PATIENT);
    long start = System.nanoTime();
    assertThat(v.lookup(NOBODY)).isEqualTo(Answer.EXISTS);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(PATIENT);
    assertThat(v.cachedCount()).isZero();
  }

  @Test
  void pipelinedWhenOffered() throws Exception {
    RecipientVerifier v =
        verifying(
            new FakeSmtpPeer(false)
                .offer("PIPELINING")
                .rcptReply("nobody", "550 5.1.1 no such user"));
    assertThat(v.lookup(NOBODY)).isEqualTo(Answer.UNKNOWN);
    assertThat(v.lookup(BOB)).isEqualTo(Answer.EXISTS);
    peer.close();
    assertThat(peer.commands()).contains("MAIL FROM:<>", "RCPT TO:<nobody@example.test>", "RSET");
  }

  @Test
  void anLmtpRelayIsAskedWithLhlo() throws Exception {
    peer = new FakeSmtpPeer(true).rcptReply("nobody", "550 5.1.1 no such user").start();
    RecipientVerifier v = verifier(Protocol.LMTP, peer.address().getPort(), PATIENT, PATIENT);
    assertThat(v.lookup(NOBODY)).isEqualTo(Answer.UNKNOWN);
    assertThat(v.lookup(BOB)).isEqualTo(Answer.EXISTS);
    peer.close();
    assertThat(peer.commands())
        .containsExactly(
            "LHLO backup.test",
            "MAIL FROM:<>",
            "RCPT TO:<nobody@example.test>",
            "RSET",
            "QUIT",
            "LHLO backup.test",
            "MAIL FROM:<>",
            "RCPT TO:<bob@example.test>",
            "RSET",
            "QUIT");
    assertThat(peer.messages()).isEmpty();
  }
}
