package org.mxtrap.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.smtp.Replies;
import org.mxtrap.smtp.wire.SmtpReply;

class TarpitTest {

  @Test
  void theReplyTricklesOneBytePerIntervalForTheHoldThenComesWhole() throws Exception {
    List<Duration> pauses = new ArrayList<>();
    Tarpit t = new Tarpit(Duration.ofSeconds(1), Duration.ofSeconds(100), 10, pauses::add);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SmtpReply reply = Replies.refusedForNow("mail.example.test");
    t.trickle(out, reply);
    assertThat(pauses).hasSize(100).containsOnly(Duration.ofSeconds(1));
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text).endsWith(reply.render());
    // a well-formed multi-line 421: continuation lines, then the final line
    List<String> lines = text.lines().toList();
    assertThat(lines.subList(0, lines.size() - 1)).allMatch(l -> l.startsWith("421-4.7.1 "));
    assertThat(lines.getLast()).startsWith("421 4.7.1 ");
    assertThat(text).doesNotContain("\r\r").contains("\r\n");
  }

  @Test
  void theTarpitHoldsAtMostMaxConnections() {
    Tarpit t = new Tarpit(Duration.ofSeconds(1), Duration.ofSeconds(1), 2, d -> {});
    assertThat(t.tryEnter()).isTrue();
    assertThat(t.tryEnter()).isTrue();
    assertThat(t.tryEnter()).isFalse();
    t.leave();
    assertThat(t.tryEnter()).isTrue();
    assertThat(t.held()).isEqualTo(2);
  }
}
