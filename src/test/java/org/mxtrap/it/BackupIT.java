package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code delivery.mode: mx} with real programs: a packaged mxtrap as the backup (MX 20 on
 * 127.0.0.20) finds the primary (MX 10 on 127.0.0.10, another packaged mxtrap) through a real DNS
 * server (unbound on loopback, serving the domain's MX records) and forwards to it on the port of
 * the primary's layout entry. With the primary down, the backup keeps the message queued and
 * deferred: never lost, never bounced, never sent back to itself; when the primary answers again,
 * the backup's probe notices and the queue is forwarded at once, not at the next backoff step. The
 * primary trusts the backup (trusted_relays), which names the original client with XCLIENT: the
 * primary's Received header and decision log show that client, not the backup.
 */
class BackupIT {
  @TempDir static Path dir;
  private static LoopbackUnbound unbound;

  @TempDir Path hosts;
  TwoMxLayout layout;

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

  @BeforeEach
  void layout() {
    layout = new TwoMxLayout(hosts);
  }

  /**
   * The backup's connections come from 127.0.0.1 (loopback's source address for 127.0.0.10), so
   * that is the relay the primary trusts; the test's client is 127.0.0.77.
   */
  Path primaryConfig() throws Exception {
    return layout.primaryConfig("trusted_relays: [\"127.0.0.1\"]\n");
  }

  Path backupConfig() throws Exception {
    // The next attempt by backoff comes an hour later: only the primary's return makes it.
    return layout.backupConfig(unbound, "queue: { min_backoff: 1h }\n");
  }

  Path primaryInbox(String localPart) {
    return layout.primaryInbox(localPart);
  }

  private static final String CLIENT = "127.0.0.77";

  @Test
  void theBackupForwardsToThePrimaryFoundInDns() throws Exception {
    Path primary = primaryConfig();
    Path backup = backupConfig();
    try (MxtrapProcess p = layout.startPrimary(primary);
        MxtrapProcess b = layout.startBackup(backup)) {
      Swaks.Result sent =
          Swaks.run(
              "127.0.0.20",
              layout.backupPort,
              "--local-interface",
              CLIENT,
              "--to",
              "bob@example.test",
              "--from",
              "you@client.test");
      assertThat(sent.exitCode()).as(sent.transcript()).isZero();

      List<Path> landed = SmtpHarness.awaitMessages(primaryInbox("bob"), 1, Duration.ofSeconds(30));

      assertThat(landed).as(Files.readString(hosts.resolve("backup.log"))).hasSize(1);
      String message = SmtpHarness.read(landed.get(0));
      List<String> received = SmtpHarness.receivedHeaders(message);
      assertThat(received).hasSize(2);
      assertThat(received.get(0))
          .as("the primary's, naming the client the backup named with XCLIENT")
          .contains("from client.test (unknown [" + CLIENT + "])")
          .contains("by mail.example.test");
      assertThat(received.get(1))
          .as("the backup's, naming swaks")
          .contains("from client.test (unknown [" + CLIENT + "])")
          .contains("by backup.example.test");
      assertThat(message).doesNotContain("X-Mxtrap-Suspect");
      String decisions = Files.readString(hosts.resolve("primary/data/log/decisions.jsonl"));
      assertThat(decisions)
          .contains("\"client\":\"127.0.0.1\",\"local\":\"127.0.0.10:")
          .contains("\"verdict\":\"allowed\",\"action\":\"accept\",\"reason\":\"a trusted relay")
          .contains("\"client\":\"" + CLIENT + "\",\"relay\":\"127.0.0.1\"");
      assertThat(hosts.resolve("backup/data/mail")).as("a backup keeps no Maildir").doesNotExist();
    }
  }

  @Test
  void withThePrimaryDownTheBackupHoldsTheMessageAndForwardsItWhenThePrimaryReturns()
      throws Exception {
    Path primary = primaryConfig();
    Path backup = backupConfig();
    try (MxtrapProcess b = layout.startBackup(backup)) {
      Swaks.Result sent =
          Swaks.run(
              "127.0.0.20",
              layout.backupPort,
              "--to",
              "bob@example.test",
              "--from",
              "you@client.test");
      assertThat(sent.exitCode()).as(sent.transcript()).isZero();

      String queue = "";
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!queue.contains("\"status\":\"deferred\"") && System.nanoTime() < deadline) {
        MxtrapProcess.Result list =
            MxtrapProcess.run(
                Duration.ofSeconds(30), "queue", "list", "--json", "--config", backup.toString());
        assertThat(list.exitCode()).as(list.output()).isZero();
        queue = list.output();
      }
      assertThat(queue)
          .contains("\"address\":\"bob@example.test\"")
          .contains("\"status\":\"deferred\"")
          .contains("\"attempts\":1")
          .contains("\"last_error\":\"4.");

      try (MxtrapProcess p = layout.startPrimary(primary)) {
        long back = System.nanoTime(); // the primary's first 220
        List<Path> landed =
            SmtpHarness.awaitMessages(primaryInbox("bob"), 1, Duration.ofSeconds(30));
        assertThat(landed).as(Files.readString(hosts.resolve("backup.log"))).hasSize(1);
        System.out.printf(
            "BackupIT: the held message reached the primary %d ms after its first 220%n",
            (System.nanoTime() - back) / 1_000_000);
        String left = queue;
        deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!left.strip().equals("[]") && System.nanoTime() < deadline) {
          left =
              MxtrapProcess.run(
                      Duration.ofSeconds(30),
                      "queue",
                      "list",
                      "--json",
                      "--config",
                      backup.toString())
                  .output();
        }
        assertThat(left.strip()).as("the backup's queue is empty").isEqualTo("[]");
      }
    }
  }
}
