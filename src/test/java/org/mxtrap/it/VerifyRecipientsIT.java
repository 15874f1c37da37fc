package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code recipients.mode: verify} with real programs: the backup of {@link TwoMxLayout} (a packaged
 * mxtrap, {@code delivery.mode: mx}) asks the primary (another, {@code recipients.mode: list}),
 * found through a real unbound zone, at each new RCPT. It refuses what the primary refuses,
 * forwards what it accepts, accepts (and queues) a never-verified address while the primary is
 * down, and keeps refusing the address the primary refused.
 */
class VerifyRecipientsIT {
  @TempDir static Path dir;
  private static LoopbackUnbound unbound;

  @TempDir Path hosts;

  @BeforeAll
  static void startUnbound() throws Exception {
    unbound = LoopbackUnbound.serving(dir, "example.test", TwoMxLayout.ZONE);
  }

  @AfterAll
  static void stopUnbound() throws Exception {
    if (unbound != null) {
      unbound.close();
    }
  }

  @Test
  void theBackupRefusesWhatThePrimaryRefusesAndAcceptsWhileItIsDown() throws Exception {
    TwoMxLayout layout = new TwoMxLayout(hosts);
    Path list = Files.writeString(hosts.resolve("recipients"), "bob@example.test\n");
    Path primary =
        layout.primaryConfig("recipients: { mode: list, file: \"%s\" }\n".formatted(list));
    Path backup = layout.backupConfig(unbound, "recipients: { mode: verify }\n");
    try (MxtrapProcess b = layout.startBackup(backup)) {
      try (MxtrapProcess p = layout.startPrimary(primary)) {
        Swaks.Result unknown = send(layout, "nobody@example.test");
        assertThat(unknown.exitCode()).as(unknown.transcript()).isNotZero();
        assertThat(unknown.transcript()).contains("<** 550 5.1.1");

        Swaks.Result known = send(layout, "bob@example.test");
        assertThat(known.exitCode()).as(known.transcript()).isZero();
        List<Path> landed =
            SmtpHarness.awaitMessages(layout.primaryInbox("bob"), 1, Duration.ofSeconds(30));
        assertThat(landed).as(Files.readString(hosts.resolve("backup.log"))).hasSize(1);
      }

      Swaks.Result neverAsked = send(layout, "carol@example.test");
      assertThat(neverAsked.exitCode()).as(neverAsked.transcript()).isZero();
      assertThat(neverAsked.transcript()).contains("<-  250 2.0.0 Ok: queued as");

      Swaks.Result stillUnknown = send(layout, "nobody@example.test");
      assertThat(stillUnknown.exitCode()).as(stillUnknown.transcript()).isNotZero();
      assertThat(stillUnknown.transcript()).contains("<** 550 5.1.1");

      String log = Files.readString(hosts.resolve("backup.log"));
      assertThat(log)
          .contains("verify: to=<nobody@example.test>")
          .contains("status=undeliverable")
          .contains("verify: to=<bob@example.test>")
          .contains("status=deliverable")
          .contains("verify: to=<carol@example.test>")
          .contains("status=undecided");
    }
  }

  private static Swaks.Result send(TwoMxLayout layout, String to) throws Exception {
    return Swaks.run("127.0.0.20", layout.backupPort, "--to", to, "--from", "you@client.test");
  }
}
