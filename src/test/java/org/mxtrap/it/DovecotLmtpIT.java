package org.mxtrap.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.ReversePath;
import org.mxtrap.delivery.ClientSession;
import org.mxtrap.delivery.ClientTimeouts;
import org.mxtrap.delivery.Connect;
import org.mxtrap.delivery.OutboundMessage;
import org.mxtrap.delivery.Protocol;
import org.mxtrap.delivery.RecipientResult;
import org.mxtrap.delivery.SmtpClient;
import org.mxtrap.delivery.TlsPolicy;
import org.mxtrap.it.LoopbackDovecot.Quota;
import org.mxtrap.it.LoopbackDovecot.User;

/**
 * Our LMTP client ({@link SmtpClient} with {@link Protocol#LMTP}) against the real thing: Debian's
 * Dovecot on a free loopback port ({@link LoopbackDovecot}), one per test, knowing bob, carol, a
 * full mailbox (dave) and one full for now (erin). Opportunistic TLS: Dovecot offers no STARTTLS
 * here, so every session is plain.
 */
class DovecotLmtpIT {
  private static final ForwardPath BOB = rcpt("bob");
  private static final ForwardPath CAROL = rcpt("carol");
  private static final ForwardPath DAVE = rcpt("dave");
  private static final ForwardPath ERIN = rcpt("erin");
  private static final ForwardPath NOBODY = rcpt("nobody");

  /** Dot-stuffing matters: lines that start with a dot must arrive as they were. */
  private static final String CONTENT =
      "From: alice@sender.test\r\nSubject: to the store\r\n\r\n"
          + ".a line that starts with a dot\r\n..two\r\n.\r\nend\r\n";

  /** Over the 1 KB quota of dave and erin. */
  private static final String LARGE_CONTENT =
      "Subject: large\r\n\r\n" + (".".repeat(70) + "\r\n").repeat(40);

  @TempDir Path dir;
  private LoopbackDovecot dovecot;
  private SmtpClient client;

  @BeforeEach
  void start() throws Exception {
    dovecot =
        LoopbackDovecot.start(
            dir,
            User.of("bob@example.test"),
            User.of("carol@example.test"),
            new User("dave@example.test", Quota.FULL),
            new User("erin@example.test", Quota.FULL_FOR_NOW));
    client =
        new SmtpClient(
            new SmtpClient.Settings(
                "backup.test",
                Protocol.LMTP,
                TlsPolicy.OPPORTUNISTIC,
                ClientTimeouts.all(Duration.ofSeconds(30))));
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (dovecot != null) {
      dovecot.close();
    }
  }

  private static ForwardPath rcpt(String localPart) {
    return new ForwardPath(new Mailbox(localPart, "example.test"));
  }

  private static OutboundMessage message(String content, ForwardPath... recipients) {
    byte[] octets = content.getBytes(UTF_8);
    return new OutboundMessage(
        new ReversePath(new Mailbox("alice", "sender.test")),
        List.of(recipients),
        false,
        false,
        octets.length,
        () -> new ByteArrayInputStream(octets));
  }

  private ClientSession open() {
    Connect c = client.open("dovecot", dovecot.address());
    assertThat(c).as(dovecot::log).isInstanceOf(Connect.Open.class);
    return ((Connect.Open) c).session();
  }

  @Test
  void oneMessageForTwoRecipientsLandsInBothMaildirsWithDovecotsHeaders() throws Exception {
    List<RecipientResult> results;
    try (ClientSession session = open()) {
      assertThat(session.tls()).isEmpty();
      results = session.send(message(CONTENT, BOB, CAROL));
    }

    assertThat(results)
        .as(dovecot::log)
        .extracting(r -> r.getClass().getSimpleName(), r -> r.status().toString())
        .containsExactly(tuple("Delivered", "2.0.0"), tuple("Delivered", "2.0.0"));
    assertThat(results.get(0).text()).contains("<bob@example.test>", "Saved");
    assertThat(results.get(1).text()).contains("<carol@example.test>", "Saved");
    for (String user : List.of("bob@example.test", "carol@example.test")) {
      List<String> mail = dovecot.delivered(user);
      assertThat(mail).as(dovecot::log).hasSize(1);
      String saved = mail.get(0);
      // Dovecot's own trace (the envelope sender, a Received naming LMTP and our LHLO name) above
      // our content, unstuffed; Maildir files end lines with LF alone.
      assertThat(saved)
          .startsWith("Return-Path: <alice@sender.test>\n")
          .contains("Received: from backup.test", "by " + LoopbackDovecot.HOSTNAME + " with LMTP")
          .endsWith("\n" + CONTENT.replace("\r\n", "\n"));
    }
  }

  @Test
  void eachRecipientGetsItsOwnAnswerAtRcptOrAfterTheEndOfData() throws Exception {
    List<RecipientResult> results;
    try (ClientSession session = open()) {
      results = session.send(message(LARGE_CONTENT, BOB, DAVE, NOBODY, ERIN));
    }

    assertThat(results)
        .as(dovecot::log)
        .extracting(r -> r.getClass().getSimpleName(), r -> r.status().toString())
        .containsExactly(
            tuple("Delivered", "2.0.0"),
            tuple("Failed", "5.2.2"), // the quota, in reply to the end of data
            tuple("Failed", "5.1.1"), // unknown to the userdb, in reply to RCPT
            tuple("Deferred", "4.2.2")); // the quota with quota_full_tempfail
    assertThat(results.get(1).text()).contains("Quota exceeded", "end of DATA");
    assertThat(results.get(2).text()).contains("<nobody@example.test>", "RCPT TO");
    assertThat(results.get(3).text()).contains("Quota exceeded", "end of DATA");
    assertThat(dovecot.delivered("bob@example.test")).hasSize(1);
    assertThat(dovecot.delivered("dave@example.test")).isEmpty();
    assertThat(dovecot.delivered("erin@example.test")).isEmpty();
  }

  @Test
  void severalMessagesTravelOverOneSession() throws Exception {
    try (ClientSession session = open()) {
      assertThat(session.send(message(CONTENT, BOB)))
          .singleElement()
          .isInstanceOf(RecipientResult.Delivered.class);
      // A transaction refused whole at RCPT leaves the session usable for the next.
      assertThat(session.send(message(CONTENT, NOBODY)))
          .singleElement()
          .isInstanceOf(RecipientResult.Failed.class);
      assertThat(session.send(message(CONTENT.replace("to the store", "again"), BOB, CAROL)))
          .allMatch(r -> r instanceof RecipientResult.Delivered);
      assertThat(session.isOpen()).isTrue();
    }

    assertThat(dovecot.delivered("bob@example.test"))
        .as(dovecot::log)
        .hasSize(2)
        .anyMatch(m -> m.contains("Subject: to the store"))
        .anyMatch(m -> m.contains("Subject: again"));
    assertThat(dovecot.delivered("carol@example.test"))
        .singleElement()
        .asString()
        .contains("again");
  }
}
