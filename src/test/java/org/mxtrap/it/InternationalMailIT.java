package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SMTPUTF8 (RFC 6531) and 8BITMIME (RFC 6152) end to end: a UTF-8 mailbox and 8-bit content cross
 * the parser, the spool and the Maildir intact; without SMTPUTF8 a UTF-8 address is refused.
 */
class InternationalMailIT extends ServerPerClass {

  @Test
  void utf8MailboxAndEightBitContentArriveIntact() throws Exception {
    try (RawSmtp c = new RawSmtp(layout.primary)) {
      assertThat(c.reply()).startsWith("220");
      assertThat(c.command("EHLO client.test")).contains("SMTPUTF8").contains("8BITMIME");
      assertThat(c.command("MAIL FROM:<grüße@client.test> SMTPUTF8 BODY=8BITMIME"))
          .startsWith("250");
      assertThat(c.command("RCPT TO:<jörg@example.test>")).startsWith("250");
      assertThat(c.command("DATA")).startsWith("354");
      assertThat(c.command("Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nZürich, Ørsted, 東京\r\n."))
          .startsWith("250 2.0.0");
      assertThat(c.command("QUIT")).startsWith("221");
    }
    Path inbox = layout.dataDir.resolve("mail/example.test/j%C3%B6rg/new");
    List<Path> m = SmtpHarness.awaitMessages(inbox, 1, Duration.ofSeconds(20));
    assertThat(m).hasSize(1);
    String msg = SmtpHarness.read(m.get(0));
    assertThat(msg).startsWith("Return-Path: <grüße@client.test>\n");
    assertThat(msg).contains("with UTF8SMTP").contains("for <jörg@example.test>");
    assertThat(msg).contains("Zürich, Ørsted, 東京\n");
  }

  @Test
  void utf8AddressWithoutSmtpUtf8IsRefused() throws Exception {
    try (RawSmtp c = new RawSmtp(layout.primary)) {
      c.reply();
      c.command("EHLO client.test");
      assertThat(c.command("MAIL FROM:<grüße@client.test>")).matches("5\\d\\d 5\\.\\d\\.\\d+ .*");
      assertThat(c.command("MAIL FROM:<a@client.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<jörg@example.test>")).matches("5\\d\\d 5\\.\\d\\.\\d+ .*");
    }
  }
}
