package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SMTP smuggling (CVE-2023-51764 family): only CRLF.CRLF ends DATA, so no end-of-data variant can
 * make a second message out of the first. Each variant is sent over a real socket; afterwards at
 * most the one outer message exists and never the smuggled one.
 */
class SmugglingIT extends ServerPerClass {

  @ParameterizedTest(name = "end-of-data variant {0}")
  @ValueSource(
      strings = {
        "\\n.\\n",
        "\\n.\\r\\n",
        "\\r\\n.\\n",
        "\\r.\\r",
        "\\r\\n.\\r",
        "\\r.\\r\\n",
        "\\r\\n\\u0000.\\r\\n",
        "\\r\\n.\\u0000\\r\\n",
        "\\n\\u0000.\\n"
      })
  void variantNeverEndsData(String escaped) throws Exception {
    String eod = escaped.replace("\\r", "\r").replace("\\n", "\n").replace("\\u0000", "\0");
    String victim = "victim" + Integer.toHexString(escaped.hashCode());
    String outer = "outer" + Integer.toHexString(escaped.hashCode());
    try (RawSmtp c = new RawSmtp(layout.primary)) {
      assertThat(c.reply()).startsWith("220 ");
      assertThat(c.command("EHLO client.test")).startsWith("250");
      assertThat(c.command("MAIL FROM:<a@client.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<" + outer + "@example.test>")).startsWith("250");
      assertThat(c.command("DATA")).startsWith("354");
      String reply =
          c.command(
              "Subject: outer\r\n\r\nfirst"
                  + eod
                  + "MAIL FROM:<b@client.test>\r\nRCPT TO:<"
                  + victim
                  + "@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.");
      // Only now does the real CRLF.CRLF arrive; the smuggled commands were message content,
      // and since every variant carries a bare CR, a bare LF or a NUL, the message is refused.
      assertThat(reply).matches("(?s)5\\d\\d 5\\.\\d+\\.\\d+ .*");
      assertThat(c.command("QUIT")).startsWith("221");
    }
    List<Path> victims = SmtpHarness.awaitMessages(layout.inbox(victim), 1, Duration.ofMillis(500));
    assertThat(victims).as("no smuggled second message").isEmpty();
  }
}
