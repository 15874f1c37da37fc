package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM stops accepting at once, ends a session that waits for a command with 421 4.3.2, lets a
 * session in the middle of a message finish it (acknowledged and delivered), and exits 0.
 */
class GracefulStopIT {
  @TempDir Path dir;

  @Test
  void sigtermLetsTheOpenSessionFinish() throws Exception {
    TestLayout layout = new TestLayout(dir);
    try (MxtrapProcess server = layout.start();
        RawSmtp c = new RawSmtp(layout.primary);
        RawSmtp idle = new RawSmtp(layout.primary)) {
      assertThat(idle.reply()).startsWith("220");
      assertThat(idle.command("EHLO idle.client.test")).startsWith("250");
      assertThat(c.reply()).startsWith("220");
      assertThat(c.command("EHLO client.test")).startsWith("250");
      assertThat(c.command("MAIL FROM:<a@client.test>")).startsWith("250");
      assertThat(c.command("RCPT TO:<late@example.test>")).startsWith("250");
      assertThat(c.command("DATA")).startsWith("354");
      c.send("Subject: sent while stopping\r\n\r\nhalf of it\r\n");

      ProcessHandle.of(server.pid()).orElseThrow().destroy(); // SIGTERM
      awaitRefused(layout.primary);
      // A session waiting for a command is told at once; it has nothing in flight.
      assertThat(idle.reply()).startsWith("421 4.3.2");
      assertThat(idle.closedByServer()).isTrue();

      assertThat(c.command("the rest\r\n.")).startsWith("250 2.0.0");
      // The message done, the stopping server reads no further command.
      assertThat(c.command("QUIT")).startsWith("421 4.3.2");
      assertThat(server.stop()).isZero();
      assertThat(server.log()).contains("stopping").contains("stopped");
    }
    // Acknowledged: delivered before the stop, or from the spool on the next start.
    if (SmtpHarness.messages(layout.inbox("late")).isEmpty()) {
      try (MxtrapProcess again = layout.start()) {
        assertThat(SmtpHarness.awaitMessages(layout.inbox("late"), 1, Duration.ofSeconds(20)))
            .hasSize(1);
      }
    }
    assertThat(SmtpHarness.read(SmtpHarness.messages(layout.inbox("late")).get(0)))
        .contains("half of it\nthe rest\n");
  }

  /** Waits until new connections are refused: the listeners are closed. */
  private static void awaitRefused(int port) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      try (RawSmtp probe = new RawSmtp(port)) {
        probe.close();
      } catch (ConnectException refused) {
        return;
      }
      Thread.sleep(20); // polling a condition with a deadline
    }
    throw new AssertionError("listener still open after SIGTERM");
  }
}
