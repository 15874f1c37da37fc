package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The classic relay tricks, each over a real socket: every one is refused with 550 5.7.1, while
 * mail for our own domain and the bare {@code <postmaster>} is accepted.
 */
class OpenRelayIT extends ServerPerClass {

  @ParameterizedTest(name = "RCPT TO:{0} is refused")
  @ValueSource(
      strings = {
        "<victim@elsewhere.test>",
        "<victim@example.test.elsewhere.test>",
        "<victim@sub.example.test>",
        "<victim@example.testx>",
        "<victim%elsewhere.test@example.test>",
        "<victim%elsewhere.test@[127.0.0.1]>",
        "<elsewhere.test!victim@example.test>",
        "<@example.test:victim@elsewhere.test>",
        "<@example.test,@relay.test:victim@elsewhere.test>",
        "<\"victim@elsewhere.test\"@example.test>",
        "<\"victim%elsewhere.test\"@example.test>",
        "<victim@[127.0.0.1]>",
        "<victim@[IPv6:::1]>",
        "<victim@[192.0.2.1]>",
        "<victim@localhost>",
        "<victim@mail.example.test>",
        "<postmaster@elsewhere.test>",
        "<victim@EXAMPLE.TEST.elsewhere.test>",
      })
  void relayTrickRefused(String path) throws Exception {
    try (RawSmtp c = new RawSmtp(layout.primary)) {
      assertThat(c.reply()).startsWith("220 ");
      assertThat(c.command("EHLO client.test")).startsWith("250");
      assertThat(c.command("MAIL FROM:<a@client.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:" + path)).as("RCPT TO:%s", path).startsWith("550 5.7.1 ");
      assertThat(c.command("DATA")).as("no recipient was accepted").startsWith("503");
    }
  }

  /** Malformed variants of the same tricks: refused as syntax errors or relaying, never taken. */
  @ParameterizedTest(name = "RCPT TO:{0} is refused")
  @ValueSource(
      strings = {
        "<elsewhere.test!victim>",
        "<victim@elsewhere.test@example.test>",
        "<victim>",
        "victim@elsewhere.test",
        "<victim@elsewhere.test> SIZE=10",
        "<victim@elsewhere.test",
        "<victim@elsewhere.test.>",
        "<victim@example.test\u0000@elsewhere.test>",
      })
  void malformedRelayTrickRefused(String escaped) throws Exception {
    String path = escaped.replace("\\u0000", "\0");
    try (RawSmtp c = new RawSmtp(layout.primary)) {
      assertThat(c.reply()).startsWith("220 ");
      assertThat(c.command("EHLO client.test")).startsWith("250");
      assertThat(c.command("MAIL FROM:<a@client.test>")).startsWith("250");
      String reply = c.command("RCPT TO:" + path);
      assertThat(reply).as("RCPT TO:%s", path).matches("(?s)5\\d\\d 5\\.\\d+\\.\\d+ .*");
      assertThat(c.command("DATA")).as("no recipient was accepted").startsWith("503");
    }
  }

  @Test
  void ownDomainAndPostmasterAccepted() throws Exception {
    try (RawSmtp c = new RawSmtp(layout.primary)) {
      c.reply();
      c.command("EHLO client.test");
      assertThat(c.command("MAIL FROM:<a@client.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<bob@example.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<Bob@EXAMPLE.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<postmaster>")).startsWith("250");
      assertThat(c.command("RCPT TO:<PostMaster>")).startsWith("250");
    }
  }
}
