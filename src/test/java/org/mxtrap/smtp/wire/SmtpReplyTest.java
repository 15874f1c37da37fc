package org.mxtrap.smtp.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SmtpReplyTest {

  @Test
  void rendersOneLine() {
    assertThat(SmtpReply.of(250, "2.0.0", "Ok").render()).isEqualTo("250 2.0.0 Ok\r\n");
  }

  @Test
  void rendersMultiLineWithDashesAndStatusOnEveryLine() {
    assertThat(new SmtpReply(250, null, List.of("mx", "PIPELINING", "SMTPUTF8")).render())
        .isEqualTo("250-mx\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n");
    assertThat(new SmtpReply(214, "2.0.0", List.of("a", "b")).render())
        .isEqualTo("214-2.0.0 a\r\n214 2.0.0 b\r\n");
  }

  @Test
  void echoedClientTextCannotEndALine() {
    assertThat(SmtpReply.of(550, "5.7.1", "<a\r\n250 ok@b>").render())
        .isEqualTo("550 5.7.1 <a??250 ok@b>\r\n");
  }

  @Test
  void refusesStatusOfAnotherClass() {
    assertThatThrownBy(() -> SmtpReply.of(550, "4.7.1", "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SmtpReply.of(600, "5.7.1", "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
