package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Postfix's own load generator as a sender: {@code smtp-source} (Debian package postfix) sends a
 * bounded load over 10 parallel sessions; every message is accepted and delivered.
 */
class SmtpSourceIT {
  private static final int MESSAGES = 300;

  @TempDir Path dir;

  @Test
  void postfixSmtpSourceLoadIsAllDelivered() throws Exception {
    Path smtpSource = Programs.require("smtp-source", "postfix");
    TestLayout layout = new TestLayout(dir);
    try (MxtrapProcess server = layout.start()) {
      Process p =
          new ProcessBuilder(
                  smtpSource.toString(),
                  "-4",
                  "-s",
                  "10",
                  "-m",
                  Integer.toString(MESSAGES),
                  "-l",
                  "4096",
                  "-M",
                  "source.client.test",
                  "-f",
                  "load@client.test",
                  "-t",
                  "load@example.test",
                  "127.0.0.1:" + layout.primary)
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      assertThat(SmtpHarness.awaitMessages(layout.inbox("load"), MESSAGES, Duration.ofSeconds(60)))
          .hasSize(MESSAGES);
      assertThat(server.log()).contains("relay=maildir").doesNotContain("error: ");
    }
  }
}
