package org.mxtrap.delivery;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.ReversePath;
import org.mxtrap.core.Role;
import org.mxtrap.core.TraceInfo;
import org.mxtrap.delivery.FakeSmtpPeer.Misbehaviour;
import org.mxtrap.delivery.RecipientResult.Deferred;
import org.mxtrap.delivery.RecipientResult.Delivered;
import org.mxtrap.delivery.RecipientResult.Failed;
import org.mxtrap.smtp.server.TlsContexts;
import org.mxtrap.testing.FreePorts;

/** The SMTP/LMTP client against {@link FakeSmtpPeer}: real sockets on loopback, port 0. */
class SmtpClientTest {
  private static final Duration PATIENT = Duration.ofSeconds(10);
  private static final Duration SHORT = Duration.ofMillis(300);
  private static final String CONTENT =
      "Subject: test\r\n\r\n.a line that starts with a dot\r\n..two\r\nend\r\n";

  private static final ForwardPath BOB = rcpt("bob");
  private static final ForwardPath CAROL = rcpt("carol");
  private static final ForwardPath DAVE = rcpt("dave");
  private static final ForwardPath ERIN = rcpt("erin");

  private FakeSmtpPeer peer;
  private SmtpClient client;

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.close();
    }
    if (peer != null) {
      peer.close();
    }
  }

  private static ForwardPath rcpt(String localPart) {
    return new ForwardPath(new Mailbox(localPart, "example.test"));
  }

  private static OutboundMessage message(
      String content, boolean eightBit, ForwardPath... recipients) {
    byte[] octets = content.getBytes(UTF_8);
    return new OutboundMessage(
        new ReversePath(new Mailbox("alice", "sender.test")),
        List.of(recipients),
        eightBit,
        false,
        octets.length,
        () -> new ByteArrayInputStream(octets));
  }

  private static OutboundMessage message(ForwardPath... recipients) {
    return message(CONTENT, false, recipients);
  }

  private FakeSmtpPeer smtpPeer() throws IOException {
    peer = new FakeSmtpPeer(false);
    return peer;
  }

  private SmtpClient client(Protocol protocol, TlsPolicy tls, Duration timeout) {
    client =
        new SmtpClient(
            new SmtpClient.Settings("backup.test", protocol, tls, ClientTimeouts.all(timeout)));
    return client;
  }

  private Connect open(InetSocketAddress address) {
    return client.open("fake.test", address);
  }

  /** One session: open, send {@code m}, close; or the failure to open, for each recipient. */
  private List<RecipientResult> deliver(OutboundMessage m) throws IOException {
    return switch (open(peer.address())) {
      case Connect.Failed f -> f.resultsFor(m.recipients());
      case Connect.Open o -> {
        try (ClientSession session = o.session()) {
          yield session.send(m);
        }
      }
    };
  }

  private static SSLContext serverTls() throws Exception {
    return TlsContexts.fromPem(resource("rsa-cert.pem"), resource("rsa-key.pem"));
  }

  private static Path resource(String name) throws Exception {
    return Path.of(SmtpClientTest.class.getResource("/tls/" + name).toURI());
  }

  @Test
  void pipelinesTheTransactionAndReportsEachRecipient() throws Exception {
    smtpPeer()
        .offer("PIPELINING")
        .offer("8BITMIME")
        .offer("SIZE 100000")
        .rcptReply("carol", "450 4.2.1 mailbox busy")
        .rcptReply("dave", "550 5.1.1 no such user")
        .start();
    client(Protocol.SMTP, TlsPolicy.OFF, PATIENT);
    String relay = "fake.test[127.0.0.1]:" + peer.address().getPort();

    List<RecipientResult> results = deliver(message(BOB, CAROL, DAVE));

    assertThat(results)
        .extracting(
            r -> r.getClass().getSimpleName(),
            RecipientResult::recipient,
            r -> r.status().toString())
        .containsExactly(
            tuple("Delivered", BOB, "2.0.0"),
            tuple("Deferred", CAROL, "4.2.1"),
            tuple("Failed", DAVE, "5.1.1"));
    assertThat(results).allSatisfy(r -> assertThat(r.relay()).isEqualTo(relay));
    assertThat(results.get(2).text()).isEqualTo("550 5.1.1 no such user (in reply to RCPT TO)");
    peer.close();
    assertThat(peer.messages()).containsExactly(CONTENT);
    assertThat(peer.commands())
        .containsExactly(
            "EHLO backup.test",
            "MAIL FROM:<alice@sender.test> SIZE=" + CONTENT.length(),
            "RCPT TO:<bob@example.test>",
            "RCPT TO:<carol@example.test>",
            "RCPT TO:<dave@example.test>",
            "DATA",
            "QUIT");
  }

  @Test
  void withoutPipeliningWaitsForEachReply() throws Exception {
    smtpPeer().rcptReply("carol", "550 5.1.1 no such user").start();
    client(Protocol.SMTP, TlsPolicy.OFF, PATIENT);

    List<RecipientResult> results = deliver(message(BOB, CAROL));

    assertThat(results)
        .extracting(r -> r.getClass().getSimpleName())
        .containsExactly("Delivered", "Failed");
    peer.close();
    assertThat(peer.pipelinedWithoutOffer()).isFalse();
    assertThat(peer.messages()).containsExactly(CONTENT);
  }

  @Test
  void sendsSeveralMessagesOnOneConnectionWithRsetAfterAnUnfinishedTransaction() throws Exception {
    smtpPeer().rcptReply("dave", "550 5.1.1 no such user").start();
    client(Protocol.SMTP, TlsPolicy.OFF, PATIENT);

    Connect.Open open = (Connect.Open) open(peer.address());
    try (ClientSession session = open.session()) {
      assertThat(session.send(message(DAVE))).singleElement().isInstanceOf(Failed.class);
      assertThat(session.send(message(BOB))).singleElement().isInstanceOf(Delivered.class);
      assertThat(session.send(message(CAROL))).singleElement().isInstanceOf(Delivered.class);
      assertThat(session.isOpen()).isTrue();
    }
    peer.close();
    assertThat(peer.connections()).isEqualTo(1);
    assertThat(peer.commands())
        .containsExactly(
            "EHLO backup.test",
            "MAIL FROM:<alice@sender.test>",
            "RCPT TO:<dave@example.test>",
            "RSET",
            "MAIL FROM:<alice@sender.test>",
            "RCPT TO:<bob@example.test>",
            "DATA",
            "MAIL FROM:<alice@sender.test>",
            "RCPT TO:<carol@example.test>",
            "DATA",
            "QUIT");
  }

  @Test
  void aRefusedMailCommandAnswersForEveryRecipient() throws Exception {
    smtpPeer().offer("PIPELINING").start();
    client(Protocol.SMTP, TlsPolicy.OFF, PATIENT);
    OutboundMessage m =
        new OutboundMessage(
            new ReversePath(new Mailbox("x", "y.test")),
            List.of(BOB, CAROL),
            false,
            true, // SMTPUTF8, which the peer does not offer
            1,
            () -> new ByteArrayInputStream(new byte[] {'x'}));

    assertThat(deliver(m))
        .allSatisfy(r -> assertThat(r).isInstanceOf(Failed.class))
        .allSatisfy(r -> assertThat(r.status().toString()).isEqualTo("5.6.7"));
  }

  @Test
  void aGreetingOf421DefersEveryRecipient() throws Exception {
    smtpPeer().misbehave(Misbehaviour.GREETING_421).start();
    client(Protocol.SMTP, TlsPolicy.OFF, PATIENT);

    List<RecipientResult> results = deliver(message(BOB, CAROL));

    assertThat(results).hasSize(2).allSatisfy(r -> assertThat(r).isInstanceOf(Deferred.class));
    assertThat(results.getFirst().status().toString()).isEqualTo("4.3.2");
    assertThat(results.getFirst().text()).contains("421", "greeting");
  }

  @Test
  void aRefusedConnectionDefersEveryRecipient() {
    client(Protocol.SMTP, TlsPolicy.OFF, PATIENT);
    InetSocketAddress nobody = new InetSocketAddress("127.0.0.1", FreePorts.next());

    Connect.Failed failed = (Connect.Failed) open(nobody);

    assertThat(failed.status().toString()).isEqualTo("4.4.1");
    assertThat(failed.resultsFor(List.of(BOB, CAROL)))
        .allSatisfy(r -> assertThat(r).isInstanceOf(Deferred.class));
  }

  @Test
  void aPeerThatNeverGreetsTimesOut() throws Exception {
    smtpPeer().misbehave(Misbehaviour.HANG_AT_GREETING).start();
    client(Protocol.SMTP, TlsPolicy.OFF, SHORT);

    Connect.Failed failed = (Connect.Failed) open(peer.address());

    assertThat(failed.status().toString()).isEqualTo("4.4.2");
    assertThat(failed.text()).contains("timeout", "greeting");
  }

  @Test
  void noReplyAfterTheEndOfDataDefersAndWarnsOfADuplicate() throws Exception {
    smtpPeer().misbehave(Misbehaviour.HANG_AFTER_DATA).start();
    client(Protocol.SMTP, TlsPolicy.OFF, SHORT);

    Connect.Open open = (Connect.Open) open(peer.address());
    try (ClientSession session = open.session()) {
      List<RecipientResult> results = session.send(message(BOB, CAROL));
      assertThat(results).allSatisfy(r -> assertThat(r).isInstanceOf(Deferred.class));
      assertThat(results.getFirst().text()).contains("timeout", "end of DATA", "duplicate");
      assertThat(session.isOpen()).isFalse();
    }
    peer.close();
    assertThat(peer.messages()).containsExactly(CONTENT);
  }

  @Test
  void aConnectionLostInDataDefersTheAcceptedRecipientsOnly() throws Exception {
    smtpPeer()
        .rcptReply("carol", "550 5.1.1 no such user")
        .misbehave(Misbehaviour.DISCONNECT_MID_DATA)
        .start();
    client(Protocol.SMTP, TlsPolicy.OFF, PATIENT);

    List<RecipientResult> results = deliver(message(BOB, CAROL, DAVE));

    assertThat(results)
        .extracting(r -> r.getClass().getSimpleName())
        .containsExactly("Deferred", "Failed", "Deferred");
    assertThat(results.getFirst().status().toString()).isEqualTo("4.4.2");
  }

  @Test
  void fallsBackToHeloWhenEhloIsRefused() throws Exception {
    smtpPeer().misbehave(Misbehaviour.REFUSE_EHLO).offer("PIPELINING").start();
    client(Protocol.SMTP, TlsPolicy.OPPORTUNISTIC, PATIENT);

    assertThat(deliver(message(BOB))).singleElement().isInstanceOf(Delivered.class);
    peer.close();
    assertThat(peer.commands()).startsWith("EHLO backup.test", "HELO backup.test");
    assertThat(peer.pipelinedWithoutOffer()).isFalse();
  }

  @Test
  void usesStartTlsWhenOfferedAndTrustsAnyCertificate() throws Exception {
    smtpPeer().tls(serverTls()).start();
    client(Protocol.SMTP, TlsPolicy.REQUIRED, PATIENT);

    Connect.Open open = (Connect.Open) open(peer.address());
    try (ClientSession session = open.session()) {
      assertThat(session.tls()).hasValueSatisfying(t -> assertThat(t).startsWith("TLSv1.3"));
      assertThat(session.send(message(BOB))).singleElement().isInstanceOf(Delivered.class);
    }
    peer.close();
    assertThat(peer.commands())
        .startsWith(
            "EHLO backup.test", "STARTTLS", "EHLO backup.test", "MAIL FROM:<alice@sender.test>");
  }

  @Test
  void withoutStartTlsOpportunisticSendsInPlaintextAndRequiredDefers() throws Exception {
    smtpPeer().start();
    client(Protocol.SMTP, TlsPolicy.OPPORTUNISTIC, PATIENT);
    Connect.Open open = (Connect.Open) open(peer.address());
    try (ClientSession session = open.session()) {
      assertThat(session.tls()).isEmpty();
      assertThat(session.send(message(BOB))).singleElement().isInstanceOf(Delivered.class);
    }
    client.close();

    client(Protocol.SMTP, TlsPolicy.REQUIRED, PATIENT);
    Connect.Failed failed = (Connect.Failed) open(peer.address());
    assertThat(failed.status().toString()).isEqualTo("4.7.10");
    assertThat(failed.resultsFor(List.of(BOB))).singleElement().isInstanceOf(Deferred.class);
  }

  @Test
  void aBrokenHandshakeFallsBackToPlaintextOnANewConnectionOnlyWhenOpportunistic()
      throws Exception {
    smtpPeer().misbehave(Misbehaviour.BROKEN_TLS_HANDSHAKE).offer("STARTTLS").start();
    client(Protocol.SMTP, TlsPolicy.OPPORTUNISTIC, PATIENT);

    assertThat(deliver(message(BOB))).singleElement().isInstanceOf(Delivered.class);
    assertThat(peer.connections()).isEqualTo(2);
    client.close();

    client(Protocol.SMTP, TlsPolicy.REQUIRED, PATIENT);
    Connect.Failed failed = (Connect.Failed) open(peer.address());
    assertThat(failed.status().toString()).isEqualTo("4.7.5");
    assertThat(failed.text()).contains("TLS handshake");
    peer.close();
    assertThat(peer.connections()).isEqualTo(3);
    assertThat(peer.messages()).containsExactly(CONTENT);
  }

  @Test
  void eightBitContentToAPeerWithout8BitMimeFailsBeforeAnythingIsSent() throws Exception {
    smtpPeer().start();
    client(Protocol.SMTP, TlsPolicy.OFF, PATIENT);

    List<RecipientResult> results =
        deliver(message("Subject: \u00e9t\u00e9\r\n", true, BOB, CAROL));

    assertThat(results)
        .allSatisfy(r -> assertThat(r).isInstanceOf(Failed.class))
        .allSatisfy(r -> assertThat(r.status().toString()).isEqualTo("5.6.3"));
    peer.close();
    assertThat(peer.commands()).containsExactly("EHLO backup.test", "QUIT");
  }

  @Test
  void eightBitContentGoesWithBody8BitMimeWhenOffered() throws Exception {
    smtpPeer().offer("8BITMIME").start();
    client(Protocol.SMTP, TlsPolicy.OFF, PATIENT);

    assertThat(deliver(message("Subject: \u00e9t\u00e9\r\n", true, BOB)))
        .singleElement()
        .isInstanceOf(Delivered.class);
    peer.close();
    assertThat(peer.commands()).contains("MAIL FROM:<alice@sender.test> BODY=8BITMIME");
    assertThat(peer.messages()).containsExactly("Subject: \u00e9t\u00e9\r\n");
  }

  @Test
  void aMessageOverThePeersSizeFailsBeforeAnythingIsSent() throws Exception {
    smtpPeer().offer("SIZE 10").start();
    client(Protocol.SMTP, TlsPolicy.OFF, PATIENT);

    List<RecipientResult> results = deliver(message(BOB, CAROL));

    assertThat(results)
        .allSatisfy(r -> assertThat(r).isInstanceOf(Failed.class))
        .allSatisfy(r -> assertThat(r.status().toString()).isEqualTo("5.3.4"));
    peer.close();
    assertThat(peer.commands()).containsExactly("EHLO backup.test", "QUIT");
  }

  @Test
  void lmtpGivesEachAcceptedRecipientItsOwnReplyInOrder() throws Exception {
    peer =
        new FakeSmtpPeer(true)
            .offer("PIPELINING")
            .rcptReply("dave", "550 5.1.1 no such user")
            .dataReply("carol", "452 4.2.2 mailbox full")
            .dataReply("erin", "552 5.2.2 over quota")
            .start();
    client(Protocol.LMTP, TlsPolicy.OPPORTUNISTIC, PATIENT);

    List<RecipientResult> results = deliver(message(BOB, CAROL, DAVE, ERIN));

    assertThat(results)
        .extracting(r -> r.getClass().getSimpleName(), r -> r.status().toString())
        .containsExactly(
            tuple("Delivered", "2.0.0"),
            tuple("Deferred", "4.2.2"),
            tuple("Failed", "5.1.1"),
            tuple("Failed", "5.2.2"));
    peer.close();
    assertThat(peer.commands()).first().isEqualTo("LHLO backup.test");
  }

  private static OutboundMessage relayedMessage(String helo, ForwardPath recipient)
      throws IOException {
    byte[] octets = CONTENT.getBytes(UTF_8);
    InetSocketAddress local = new InetSocketAddress(InetAddress.getLoopbackAddress(), 25);
    TraceInfo origin =
        new TraceInfo(
            new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 40000),
            "client.example.org",
            helo,
            local,
            new LayoutEntry(20, "backup.test", local.getAddress(), 25, Role.BACKUP),
            "ESMTPS",
            null,
            Instant.parse("2026-01-01T00:00:00Z"));
    return new OutboundMessage(
        new ReversePath(new Mailbox("alice", "sender.test")),
        List.of(recipient),
        false,
        false,
        octets.length,
        () -> new ByteArrayInputStream(octets),
        origin);
  }

  @Test
  void namesTheOriginalClientWithXclientWhenOfferedOncePerClient() throws Exception {
    smtpPeer().offer("XCLIENT ADDR NAME HELO PROTO").start();
    client(Protocol.SMTP, TlsPolicy.OFF, PATIENT);

    Connect.Open open = (Connect.Open) open(peer.address());
    try (ClientSession session = open.session()) {
      assertThat(session.send(relayedMessage("helo with space", BOB)))
          .singleElement()
          .isInstanceOf(Delivered.class);
      assertThat(session.send(relayedMessage("helo with space", CAROL)))
          .singleElement()
          .isInstanceOf(Delivered.class);
      assertThat(session.send(relayedMessage("other.helo", DAVE)))
          .singleElement()
          .isInstanceOf(Delivered.class);
    }
    peer.close();
    assertThat(peer.commands())
        .containsExactly(
            "EHLO backup.test",
            "XCLIENT ADDR=IPV6:2001:db8::7 NAME=client.example.org HELO=helo+20with+20space"
                + " PROTO=ESMTP",
            "EHLO backup.test",
            "MAIL FROM:<alice@sender.test>",
            "RCPT TO:<bob@example.test>",
            "DATA",
            "MAIL FROM:<alice@sender.test>",
            "RCPT TO:<carol@example.test>",
            "DATA",
            "XCLIENT ADDR=IPV6:2001:db8::7 NAME=client.example.org HELO=other.helo PROTO=ESMTP",
            "EHLO backup.test",
            "MAIL FROM:<alice@sender.test>",
            "RCPT TO:<dave@example.test>",
            "DATA",
            "QUIT");
  }

  @Test
  void aPeerThatRefusesXclientGetsTheMailWithoutIt() throws Exception {
    smtpPeer()
        .offer("XCLIENT ADDR HELO")
        .xclientReply("550 5.7.0 Error: insufficient authorization")
        .start();
    client(Protocol.SMTP, TlsPolicy.OFF, PATIENT);

    Connect.Open open = (Connect.Open) open(peer.address());
    try (ClientSession session = open.session()) {
      assertThat(session.send(relayedMessage("h", BOB)))
          .singleElement()
          .isInstanceOf(Delivered.class);
      assertThat(session.send(relayedMessage("h2", CAROL)))
          .singleElement()
          .isInstanceOf(Delivered.class);
    }
    peer.close();
    assertThat(peer.commands())
        .containsExactly(
            "EHLO backup.test",
            "XCLIENT ADDR=IPV6:2001:db8::7 HELO=h",
            "MAIL FROM:<alice@sender.test>",
            "RCPT TO:<bob@example.test>",
            "DATA",
            "MAIL FROM:<alice@sender.test>",
            "RCPT TO:<carol@example.test>",
            "DATA",
            "QUIT");
  }
}
