package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code state.store: redis} with real programs: two packaged mxtraps on distinct loopback
 * addresses, the primary's host (MX 10, 127.0.0.10) and the backup's (MX 20, 127.0.0.20), share one
 * redis-server. What one host learns, the other decides by: a contact at the primary excuses the
 * client at the backup; the primary's availability, which the backup's prober records in Redis,
 * makes a client that goes straight to the backup a backup skip; a suppression made on one host is
 * enforced on the other. With Redis gone, legitimate mail is still accepted; when it returns,
 * suppressions are shared again. A client the layout judges is alone in its /24 (127.0.N.1): the
 * hosts and their probes are in 127.0.0.0/24, and a contact excuses its whole /24.
 */
class SharedStateIT {
  @TempDir Path hosts;
  @TempDir Path redisDir;
  LoopbackRedis redis;
  TwoMxLayout layout;
  Path primaryConfig;
  Path backupConfig;
  MxtrapProcess primary;
  MxtrapProcess backup;

  @BeforeEach
  void start() throws Exception {
    redis = LoopbackRedis.start(redisDir);
    layout = new TwoMxLayout(hosts);
    String shared =
        "state: { store: redis, redis: { url: \"%s\" } }\n".formatted(redis.url())
            + "trap: { probe_interval: 1s, arm_after: 1s }\n";
    primaryConfig = layout.primaryConfig(shared);
    backupConfig =
        layout.config(
            "backup",
            "backup.example.test",
            "127.0.0.20:" + layout.backupPort,
            "dns: { ptr_budget: 0s }\n" + shared);
    primary = layout.startPrimary(primaryConfig);
    backup = layout.startBackup(backupConfig);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {backup, primary, redis}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** The greeting {@code client} (a loopback address) gets from the host at {@code address}. */
  static String greeting(String address, int port, String client) throws Exception {
    try (RawSmtp c =
        new RawSmtp(InetAddress.getByName(address), port, InetAddress.getByName(client))) {
      String g = c.reply();
      if (g != null && g.startsWith("220")) {
        c.command("QUIT");
        c.closedByServer();
      }
      return g == null ? "" : g;
    }
  }

  String atPrimary(String client) throws Exception {
    return greeting("127.0.0.10", layout.primaryPort, client);
  }

  String atBackup(String client) throws Exception {
    return greeting("127.0.0.20", layout.backupPort, client);
  }

  static MxtrapProcess.Result cli(Path config, String... args) throws Exception {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--config";
    all[args.length + 1] = config.toString();
    return MxtrapProcess.run(Duration.ofSeconds(30), all);
  }

  /** Polls {@code value} until {@code done} holds for it; returns it, or the last one seen. */
  static <T> T await(Duration limit, Callable<T> value, Predicate<T> done) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    T v = value.call();
    while (!done.test(v) && System.nanoTime() < deadline) {
      Thread.sleep(100); // a poll interval, not an ordering sleep
      v = value.call();
    }
    return v;
  }

  String backupDecisions() throws Exception {
    Path log = hosts.resolve("backup/data/log/decisions.jsonl");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @Test
  void aContactAtThePrimaryExcusesTheClientAtTheBackupHost() throws Exception {
    assertThat(atPrimary("127.0.55.1")).startsWith("220 ");
    assertThat(atBackup("127.0.55.1")).startsWith("220 ");

    assertThat(backupDecisions())
        .contains("\"client\":\"127.0.55.1\",\"local\":\"127.0.0.20:")
        .contains("\"verdict\":\"fallback\",\"action\":\"accept\",\"reason\":\"contact at a lower");
  }

  @Test
  void aClientStraightToTheBackupWhileThePrimaryIsHealthyIsABackupSkip() throws Exception {
    // The backup's prober records the primary's availability in Redis every second; once it has
    // been up for arm_after (1 s), the backup judges a stranger a backup skip.
    String explained =
        await(
            Duration.ofSeconds(30),
            () -> cli(backupConfig, "explain", "127.0.56.1").output(),
            o -> o.contains("backup-skip"));
    assertThat(explained).contains("backup-skip");

    assertThat(atBackup("127.0.56.1")).as(backupDecisions()).startsWith("4");
    assertThat(backupDecisions()).contains("\"client\":\"127.0.56.1\"").contains("backup-skip");
  }

  @Test
  void aSuppressionMadeOnOneHostIsEnforcedOnTheOther() throws Exception {
    assertThat(atBackup("127.0.0.66")).startsWith("220 ");
    MxtrapProcess.Result add = cli(primaryConfig, "suppressions", "add", "127.0.0.66");
    assertThat(add.exitCode()).as(add.output()).isZero();

    String g = await(Duration.ofSeconds(5), () -> atBackup("127.0.0.66"), s -> s.startsWith("4"));
    assertThat(g).startsWith("421 4.7.1 ");
    assertThat(atPrimary("127.0.0.65")).startsWith("220 ");
    assertThat(atBackup("127.0.0.65")).as("others are served").startsWith("220 ");
  }

  @Test
  void withRedisGoneMailIsStillAcceptedAndSharingResumesWhenItReturns() throws Exception {
    String status = cli(backupConfig, "status").output();
    assertThat(status)
        .contains("state: redis 127.0.0.1:" + redis.port() + " key_prefix=mxtrap:: answering");
    redis.stop();
    assertThat(cli(backupConfig, "status").output())
        .contains("NOT answering")
        .contains("serving on local knowledge");

    assertThat(atPrimary("127.0.0.57")).startsWith("220 ");
    Swaks.Result sent =
        Swaks.run(
            "127.0.0.10",
            layout.primaryPort,
            "--local-interface",
            "127.0.0.57",
            "--to",
            "bob@example.test",
            "--from",
            "you@client.test");
    assertThat(sent.exitCode()).as(sent.transcript()).isZero();
    assertThat(atBackup("127.0.0.58")).as("the backup serves on what it knows").startsWith("220");

    redis.restart();
    MxtrapProcess.Result add =
        await(
            Duration.ofSeconds(10),
            () -> cli(primaryConfig, "suppressions", "add", "127.0.0.67"),
            r -> r.exitCode() == 0);
    assertThat(add.exitCode()).as(add.output()).isZero();
    String g = await(Duration.ofSeconds(5), () -> atBackup("127.0.0.67"), s -> s.startsWith("4"));
    assertThat(g).startsWith("421 4.7.1 ");
  }

  @Test
  void withOnOutageClosedAHostTempfailsWhileRedisIsAwayAndServesWhenItReturns() throws Exception {
    primary.close(); // this host takes the primary's address, closed on an outage
    primary = null;
    Path closed =
        layout.config(
            "primary-closed",
            "mail.example.test",
            "127.0.0.10:" + layout.primaryPort,
            "dns: { ptr_budget: 0s }\n"
                + "state: { store: redis, on_outage: closed, redis: { url: \"%s\" } }\n"
                    .formatted(redis.url()));
    try (MxtrapProcess host = layout.startPrimary(closed)) {
      assertThat(atPrimary("127.0.0.70")).startsWith("220 ");
      redis.stop();
      assertThat(atPrimary("127.0.0.70")).startsWith("421 4.");
      assertThat(Files.readString(hosts.resolve("primary-closed/data/log/decisions.jsonl")))
          .contains("tempfailed: the shared state is partial (state.on_outage: closed)");
      assertThat(atBackup("127.0.0.71")).as("the backup is open on an outage").startsWith("220 ");

      redis.restart();
      assertThat(
              await(Duration.ofSeconds(20), () -> atPrimary("127.0.0.70"), g -> g.startsWith("2")))
          .startsWith("220 ");
    }
  }

  @Test
  void aHostFindsTheSharedStoreThroughSentinelAndFollowsAFailover(@TempDir Path sentinelDir)
      throws Exception {
    try (LoopbackSentinel sentinels = LoopbackSentinel.start(sentinelDir)) {
      String nodes =
          String.join(
              ", ",
              sentinels.nodes().stream().map(n -> "\"127.0.0.1:" + n.getPort() + "\"").toList());
      Path config =
          layout.config(
              "sentinel-host",
              "mx9.example.test",
              "127.0.0.10:" + layout.primaryPort,
              "dns: { ptr_budget: 0s }\n"
                  + "state: { store: redis, redis: { sentinel: { master: %s, nodes: [%s] } } }\n"
                      .formatted(LoopbackSentinel.MASTER, nodes));
      primary.close(); // this host takes the primary's address
      primary = null;
      try (MxtrapProcess host = layout.startPrimary(config)) {
        assertThat(cli(config, "status").output()).contains("sentinel").contains("answering");
        assertThat(cli(config, "suppressions", "add", "127.0.0.68").exitCode()).isZero();
        assertThat(atPrimary("127.0.0.68")).startsWith("421 4.7.1 ");

        sentinels.awaitReplicated();
        sentinels.killMaster();
        sentinels.awaitPromoted(Duration.ofSeconds(30));
        MxtrapProcess.Result add =
            await(
                Duration.ofSeconds(15),
                () -> cli(config, "suppressions", "add", "127.0.0.69"),
                r -> r.exitCode() == 0);
        assertThat(add.exitCode()).as(add.output()).isZero();
        assertThat(atPrimary("127.0.0.69")).startsWith("421 4.7.1 ");
        assertThat(atPrimary("127.0.0.68")).as("made before the failover").startsWith("421 4.7.1 ");
      }
    }
  }
}
