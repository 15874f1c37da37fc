package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.testing.FreePorts;

/**
 * The headline of a shared policy, with real programs: three packaged mxtraps on their own loopback
 * addresses, the primary's host (MX 10, 127.0.0.10), the backup's (MX 20, 127.0.0.20) and a trap
 * host (MX 30, 127.0.0.30), share one redis-server. The trap host's prober records the lower
 * entries' availability in Redis, so its trap arms; a client that goes straight to it is an MX
 * skip, suppressed there, and refused by the two other hosts within about a second. Each client is
 * alone in its /24 (127.0.N.1): the hosts and their probes are in 127.0.0.0/24, and a contact
 * excuses its whole /24 ({@code trap.excuse_prefix_v4}).
 */
class TrapHitSharedIT {
  @TempDir Path hosts;
  @TempDir Path redisDir;
  LoopbackRedis redis;
  final int primaryPort = FreePorts.next();
  final int backupPort = FreePorts.next();
  final int trapPort = FreePorts.next();
  MxtrapProcess primary;
  MxtrapProcess backup;
  MxtrapProcess trap;
  Path trapConfig;

  @BeforeEach
  void start() throws Exception {
    redis = LoopbackRedis.start(redisDir);
    primary = host("primary", "mail.example.test", "127.0.0.10", primaryPort);
    backup = host("backup", "backup.example.test", "127.0.0.20", backupPort);
    trap = host("trap", "mx3.example.test", "127.0.0.30", trapPort);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {trap, backup, primary, redis}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** One host of the layout, serving the entry at {@code address}, on the shared Redis. */
  MxtrapProcess host(String name, String hostname, String address, int port) throws Exception {
    Path home = Files.createDirectories(hosts.resolve(name));
    Path file = home.resolve("mxtrap.yml");
    Files.writeString(
        file,
        """
        hostname: %s
        domains: [example.test]
        data_dir: %s
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.10, port: %d, role: primary }
          - { preference: 20, host: backup.example.test, address: 127.0.0.20, port: %d, role: backup }
          - { preference: 30, host: mx3.example.test, address: 127.0.0.30, port: %d, role: trap }
        listen: ["%s:%d"]
        admin: { bind: "127.0.0.1:%d" }
        dns: { ptr_budget: 0s }
        trap: { probe_interval: 1s, arm_after: 1s }
        state: { store: redis, redis: { url: "%s" } }
        """
            .formatted(
                hostname,
                home.resolve("data"),
                primaryPort,
                backupPort,
                trapPort,
                address,
                port,
                FreePorts.next(),
                redis.url()));
    if (name.equals("trap")) {
      trapConfig = file;
    }
    return MxtrapProcess.startOn(
        file,
        hosts.resolve(name + ".log"),
        new InetSocketAddress(InetAddress.getByName(address), port));
  }

  @Test
  void aClientStraightToTheTrapIsRefusedByEveryHostWithinASecond() throws Exception {
    String explained =
        SharedStateIT.await(
            Duration.ofSeconds(30),
            () -> SharedStateIT.cli(trapConfig, "explain", "127.0.88.1").output(),
            o -> o.contains("mx-skip"));
    assertThat(explained)
        .as("the trap arms on the availability the hosts share")
        .contains("mx-skip");
    // (No greeting from 127.0.88.1 at the primary before the trap: that contact would excuse it.)
    assertThat(SharedStateIT.greeting("127.0.0.30", trapPort, "127.0.88.1")).startsWith("4");
    long hit = System.nanoTime();
    String atPrimary =
        SharedStateIT.await(
            Duration.ofSeconds(5),
            () -> SharedStateIT.greeting("127.0.0.10", primaryPort, "127.0.88.1"),
            g -> g.startsWith("4"));
    long sharedMs = (System.nanoTime() - hit) / 1_000_000;
    String atBackup = SharedStateIT.greeting("127.0.0.20", backupPort, "127.0.88.1");

    System.out.printf(
        "TrapHitSharedIT: the primary's host refused the client %d ms after the hit%n", sharedMs);
    assertThat(atPrimary).startsWith("421 4.7.1 ");
    assertThat(atBackup).startsWith("421 4.7.1 ");
    assertThat(sharedMs)
        .as("the promised bound is 1 s; polling adds up to 100 ms")
        .isLessThan(1500);
    assertThat(SharedStateIT.greeting("127.0.0.10", primaryPort, "127.0.89.1"))
        .as("others are served")
        .startsWith("220 ");
    String decisions = Files.readString(hosts.resolve("trap/data/log/decisions.jsonl"));
    assertThat(decisions).contains("\"client\":\"127.0.88.1\"").contains("\"verdict\":\"mx-skip\"");
  }

  String at(String address, int port, String client) throws Exception {
    return SharedStateIT.greeting(address, port, client);
  }

  /** Awaits the host's {@code status} showing its view of the shared state whole again. */
  void awaitWhole(String name) throws Exception {
    Path config = hosts.resolve(name).resolve("mxtrap.yml");
    String status =
        SharedStateIT.await(
            Duration.ofSeconds(20),
            () -> SharedStateIT.cli(config, "status").output(),
            o -> o.contains(": answering") && !o.contains("PARTIAL"));
    assertThat(status).as(name).contains(": answering").doesNotContain("PARTIAL");
  }

  @Test
  void withRedisStoppedTheHostsServeLegitimateMailSuppressNobodyAndCatchUpWhenItReturns()
      throws Exception {
    assertThat(
            SharedStateIT.await(
                Duration.ofSeconds(30),
                () -> SharedStateIT.cli(trapConfig, "explain", "127.0.90.1").output(),
                o -> o.contains("mx-skip")))
        .contains("mx-skip");
    redis.stop();

    assertThat(at("127.0.0.10", primaryPort, "127.0.91.1")).as("the primary").startsWith("220 ");
    Swaks.Result sent =
        Swaks.run(
            "127.0.0.10",
            primaryPort,
            "--local-interface",
            "127.0.91.1",
            "--to",
            "bob@example.test",
            "--from",
            "you@client.test");
    assertThat(sent.exitCode()).as(sent.transcript()).isZero();
    assertThat(at("127.0.0.20", backupPort, "127.0.93.1"))
        .as("no backup skip on a partial view")
        .startsWith("220 ");
    assertThat(at("127.0.0.30", trapPort, "127.0.92.1")).as("the trap").startsWith("4");
    assertThat(Files.readString(hosts.resolve("trap/data/log/decisions.jsonl")))
        .contains("\"client\":\"127.0.92.1\"")
        .contains("\"verdict\":\"disarmed\"")
        .contains("the shared state is partial: redis 127.0.0.1:" + redis.port());
    assertThat(SharedStateIT.cli(trapConfig, "suppressions", "list").output())
        .as("nobody suppressed on the partial view")
        .doesNotContain("127.0.92.1");

    redis.restart();
    awaitWhole("primary");
    awaitWhole("trap");
    assertThat(at("127.0.0.30", trapPort, "127.0.91.1"))
        .as("the contact the primary recorded during the outage was written when Redis returned")
        .startsWith("220 ");
    assertThat(at("127.0.0.10", primaryPort, "127.0.92.1"))
        .as("the client the trap saw during the outage is not suppressed")
        .startsWith("220 ");

    SharedStateIT.await(
        Duration.ofSeconds(30),
        () -> SharedStateIT.cli(trapConfig, "explain", "127.0.94.1").output(),
        o -> o.contains("mx-skip"));
    assertThat(at("127.0.0.30", trapPort, "127.0.94.1")).startsWith("4");
    assertThat(
            SharedStateIT.await(
                Duration.ofSeconds(5),
                () -> at("127.0.0.10", primaryPort, "127.0.94.1"),
                g -> g.startsWith("4")))
        .as("a trap hit after the outage is shared again")
        .startsWith("421 4.7.1 ");
  }
}
