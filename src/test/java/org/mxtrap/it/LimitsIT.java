package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Every limit on what a client controls, over real sockets, with small limits configured. */
class LimitsIT extends ServerPerClass {
  @Override
  TestLayout layout(Path dir) {
    return new TestLayout(dir)
        .limits(
            "{ max_message_size: 10KB, max_recipients: 3, command_timeout: 2s,"
                + " max_per_ip: 3, max_connections: 5, max_errors: 5 }");
  }

  private RawSmtp greeted() throws Exception {
    RawSmtp c = new RawSmtp(layout.primary);
    assertThat(c.reply()).startsWith("220 ");
    assertThat(c.command("EHLO client.test")).startsWith("250");
    return c;
  }

  @Test
  void declaredSizeOverLimitRefused() throws Exception {
    try (RawSmtp c = greeted()) {
      assertThat(c.command("MAIL FROM:<a@client.test> SIZE=20000")).startsWith("552 5.3.4");
      assertThat(c.command("MAIL FROM:<a@client.test> SIZE=2000")).startsWith("250");
    }
  }

  @Test
  void actualSizeOverLimitRefusedAndSessionGoesOn() throws Exception {
    try (RawSmtp c = greeted()) {
      c.command("MAIL FROM:<a@client.test>");
      c.command("RCPT TO:<big@example.test>");
      assertThat(c.command("DATA")).startsWith("354");
      String line = "x".repeat(98) + "\r\n";
      assertThat(c.command("Subject: big\r\n\r\n" + line.repeat(200) + "."))
          .startsWith("552 5.3.4");
      assertThat(c.command("NOOP")).startsWith("250");
    }
    assertThat(SmtpHarness.messages(layout.inbox("big"))).isEmpty();
  }

  @Test
  void recipientLimit() throws Exception {
    try (RawSmtp c = greeted()) {
      c.command("MAIL FROM:<a@client.test>");
      for (int i = 0; i < 3; i++) {
        assertThat(c.command("RCPT TO:<r" + i + "@example.test>")).startsWith("250");
      }
      assertThat(c.command("RCPT TO:<r3@example.test>")).startsWith("452 4.5.3");
    }
  }

  @Test
  void longCommandLineRefusedAndSessionGoesOn() throws Exception {
    try (RawSmtp c = greeted()) {
      assertThat(c.command("NOOP " + "x".repeat(600))).startsWith("500 5.5.2");
      assertThat(c.command("NOOP")).startsWith("250");
    }
  }

  @Test
  void longTextLineRefused() throws Exception {
    try (RawSmtp c = greeted()) {
      c.command("MAIL FROM:<a@client.test>");
      c.command("RCPT TO:<longline@example.test>");
      c.command("DATA");
      assertThat(c.command("Subject: x\r\n\r\n" + "y".repeat(1200) + "\r\n."))
          .startsWith("500 5.5.2");
      assertThat(c.command("NOOP")).startsWith("250");
    }
  }

  @Test
  void badInputGetsClear5xx() throws Exception {
    try (RawSmtp c = greeted()) {
      assertThat(c.command("NO\0OP")).matches("5\\d\\d 5\\.\\d\\.\\d .*");
      assertThat(c.command("XYZZY plugh")).matches("500 5\\.5\\.\\d .*");
      assertThat(
              c.send(new byte[] {'M', 'A', 'I', 'L', ' ', (byte) 0xff, (byte) 0xfe, '\r', '\n'})
                  .reply())
          .matches("5\\d\\d 5\\.\\d\\.\\d+ .*");
      assertThat(c.command("RCPT TO:<x@example.test>")).startsWith("503 5.5.1");
      assertThat(c.command("NOOP")).startsWith("250");
    }
  }

  @Test
  void idleClientTimesOut() throws Exception {
    try (RawSmtp c = greeted()) {
      // command_timeout is 2s: the next thing the server says is the timeout.
      assertThat(c.reply()).startsWith("421 4.4.2");
      assertThat(c.closedByServer()).isTrue();
    }
  }
}
