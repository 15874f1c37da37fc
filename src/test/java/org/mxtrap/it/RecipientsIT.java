package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code recipients.mode: list} against the packaged server (issue 9, defect 5): unknown mailboxes
 * are 550 5.1.1 at RCPT, and a client that collects {@code max_unknown} of them is suppressed as a
 * dictionary attacker on every listener.
 */
class RecipientsIT extends ServerPerClass {
  private static final InetAddress ATTACKER = address("127.0.0.77");

  @Override
  TestLayout layout(Path dir) throws Exception {
    Path list = dir.resolve("recipients");
    Files.writeString(list, "# who gets mail\nbob@example.test\nAlice@example.test\n");
    return new TestLayout(dir)
        .extra("recipients: { mode: list, file: " + list + ", max_unknown: 5 }");
  }

  @Test
  void listedMailboxesAreAcceptedInAnySpellingAndOthersAre550() throws Exception {
    try (RawSmtp c = new RawSmtp(layout.primary)) {
      assertThat(c.reply()).startsWith("220 ");
      c.command("EHLO client.test");
      c.command("MAIL FROM:<a@client.test>");
      assertThat(c.command("RCPT TO:<bob@example.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<\"ALICE\"@example.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<postmaster@example.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<bobb@example.test>"))
          .isEqualTo("550 5.1.1 <bobb@example.test>: Recipient address rejected: User unknown");
      assertThat(c.command("DATA")).startsWith("354");
      assertThat(c.command("Subject: hi\r\n\r\nhi\r\n.")).startsWith("250");
    }
    assertThat(
            SmtpHarness.awaitMessages(layout.inbox("alice"), 1, java.time.Duration.ofSeconds(20)))
        .hasSize(1);
    assertThat(layout.inbox("bobb").getParent()).doesNotExist();
  }

  @Test
  void aDictionaryAttackerIsSuppressedOnEveryListener() throws Exception {
    try (RawSmtp c = new RawSmtp(InetAddress.getLoopbackAddress(), layout.primary, ATTACKER)) {
      assertThat(c.reply()).startsWith("220 ");
      c.command("EHLO spam.test");
      c.command("MAIL FROM:<s@spam.test>");
      for (String name : new String[] {"admin", "info", "sales", "test"}) {
        assertThat(c.command("RCPT TO:<" + name + "@example.test>")).startsWith("550 5.1.1");
      }
      assertThat(c.command("RCPT TO:<root@example.test>"))
          .isEqualTo("550 5.1.1 <root@example.test>: Recipient address rejected: User unknown");
      assertThat(c.reply())
          .isEqualTo(
              "421 4.7.1 mail.example.test Error: too many unknown recipients, closing"
                  + " connection");
      assertThat(c.closedByServer()).isTrue();
    }
    for (int port : new int[] {layout.primary, layout.trap30}) {
      try (RawSmtp again = new RawSmtp(InetAddress.getLoopbackAddress(), port, ATTACKER)) {
        assertThat(again.reply()).startsWith("421 4.7.1");
      }
    }
    assertThat(Files.readString(layout.dataDir.resolve("log").resolve("decisions.jsonl")))
        .contains("\"verdict\":\"dictionary\"");
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
