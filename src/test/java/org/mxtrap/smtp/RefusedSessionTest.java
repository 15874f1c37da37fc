package org.mxtrap.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RefusedSessionTest {

  @Test
  void after554OnlyQuitIsAccepted() throws Exception {
    FakeTransport t =
        FakeTransport.of("EHLO client.test\r\nMAIL FROM:<a@b.test>\r\nquit\r\nNOOP\r\n");
    new RefusedSession(t, "mail.example.test", 20, Duration.ofMinutes(5))
        .run(Replies.refused("mail.example.test"));
    assertThat(t.output())
        .isEqualTo(
            "554 5.7.1 mail.example.test Service unavailable to your address\r\n"
                + "503 5.5.1 Error: no service for you here, send QUIT\r\n"
                + "503 5.5.1 Error: no service for you here, send QUIT\r\n"
                + "221 2.0.0 Bye\r\n");
  }

  @Test
  void tooManyOtherCommandsEndTheConversation() throws Exception {
    FakeTransport t = FakeTransport.of("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n");
    new RefusedSession(t, "mail.example.test", 3, Duration.ofMinutes(5))
        .run(Replies.refused("mail.example.test"));
    assertThat(t.output()).endsWith("421 4.7.0 mail.example.test Error: too many errors\r\n");
    assertThat(t.output().lines().filter(l -> l.startsWith("503"))).hasSize(2);
  }

  @Test
  void theEndOfInputEndsItQuietly() throws Exception {
    FakeTransport t = FakeTransport.of("");
    new RefusedSession(t, "mail.example.test", 3, Duration.ofMinutes(5))
        .run(Replies.refused("mail.example.test"));
    assertThat(t.output()).startsWith("554 ").hasLineCount(1);
  }
}
