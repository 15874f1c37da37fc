package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mxtrap state export} and {@code import} between packaged hosts: the primary's host on
 * {@code store: local} (127.0.0.10) learns a contact and a suppression (an operator's, added twice:
 * offence 2); its export is imported by the backup's host on {@code store: redis} (127.0.0.20),
 * whose {@code suppressions list} and {@code explain} then say the same; and the Redis host's
 * export goes back into a fresh host on {@code store: local}.
 */
class StateTransferIT {
  @TempDir Path hosts;
  @TempDir Path redisDir;
  @TempDir Path files;
  LoopbackRedis redis;
  TwoMxLayout layout;
  MxtrapProcess local;
  MxtrapProcess shared;

  @BeforeEach
  void start() throws Exception {
    redis = LoopbackRedis.start(redisDir);
    layout = new TwoMxLayout(hosts);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {shared, local, redis}) {
      if (c != null) {
        c.close();
      }
    }
  }

  static MxtrapProcess.Result cli(Path config, String... args) throws Exception {
    return SharedStateIT.cli(config, args);
  }

  /** The line of {@code suppressions list} about {@code address}. */
  static String listed(Path config, String address) throws Exception {
    MxtrapProcess.Result list = cli(config, "suppressions", "list");
    assertThat(list.exitCode()).as(list.output()).isZero();
    return list.output()
        .lines()
        .filter(l -> l.startsWith(address + " "))
        .findFirst()
        .orElse("(" + address + " not listed: " + list.output() + ")");
  }

  /** The contact lines of {@code explain address}: {@code MX 10 at T}. */
  static List<String> contacts(Path config, String address) throws Exception {
    MxtrapProcess.Result explain = cli(config, "explain", address);
    assertThat(explain.exitCode()).as(explain.output()).isZero();
    return explain.output().lines().filter(l -> l.matches("  MX \\d+ at .*")).toList();
  }

  Path export(Path config, String name) throws Exception {
    Path file = files.resolve(name);
    MxtrapProcess.Result r =
        MxtrapProcess.runTo(
            file, Duration.ofSeconds(30), "state", "export", "--config", config.toString());
    assertThat(r.exitCode()).as(r.output()).isZero();
    return file;
  }

  String importInto(Path config, Path file) throws Exception {
    MxtrapProcess.Result r = cli(config, "state", "import", file.toString());
    assertThat(r.exitCode()).as(r.output()).isZero();
    return r.output();
  }

  @Test
  void contactsAndSuppressionsMoveFromLocalToRedisAndBack() throws Exception {
    Path localConfig = layout.primaryConfig("");
    Path sharedConfig =
        layout.config(
            "backup",
            "backup.example.test",
            "127.0.0.20:" + layout.backupPort,
            "dns: { ptr_budget: 0s }\n"
                + "state: { store: redis, redis: { url: \"%s\" } }\n".formatted(redis.url()));
    local = layout.startPrimary(localConfig);
    shared = layout.startBackup(sharedConfig);

    assertThat(SharedStateIT.greeting("127.0.0.10", layout.primaryPort, "127.0.55.1"))
        .startsWith("220 ");
    for (int i = 0; i < 2; i++) {
      MxtrapProcess.Result add =
          cli(localConfig, "suppressions", "add", "127.0.0.66", "--for", "2h");
      assertThat(add.exitCode()).as(add.output()).isZero();
    }
    String suppressed = listed(localConfig, "127.0.0.66");
    assertThat(suppressed).contains("offence 2");
    List<String> contacted = contacts(localConfig, "127.0.55.1");
    assertThat(contacted).hasSize(1).first().asString().startsWith("  MX 10 at ");

    Path fromLocal = export(localConfig, "local.jsonl");
    assertThat(Files.readString(fromLocal))
        .contains("{\"suppression\":{\"prefix\":\"127.0.0.66/32\",")
        .contains("{\"contact\":{\"network\":\"127.0.55.0/24\",\"preference\":10,")
        .contains("{\"end\":{\"suppressions\":1,");

    assertThat(importInto(sharedConfig, fromLocal)).startsWith("imported 1 suppressions and ");
    assertThat(listed(sharedConfig, "127.0.0.66")).isEqualTo(suppressed);
    assertThat(contacts(sharedConfig, "127.0.55.1")).isEqualTo(contacted);
    assertThat(SharedStateIT.greeting("127.0.0.20", layout.backupPort, "127.0.0.66"))
        .as("enforced on the Redis host")
        .startsWith("421 4.7.1 ");

    // And back: the Redis host's export into a fresh host on the local store.
    Path fromRedis = export(sharedConfig, "redis.jsonl");
    local.close();
    local = null;
    Path freshConfig =
        layout.config(
            "fresh",
            "mail.example.test",
            "127.0.0.10:" + layout.primaryPort,
            "dns: { ptr_budget: 0s }\n");
    local = layout.startPrimary(freshConfig);
    assertThat(listed(freshConfig, "127.0.0.66")).contains("not listed");

    assertThat(importInto(freshConfig, fromRedis)).startsWith("imported 1 suppressions and ");
    assertThat(listed(freshConfig, "127.0.0.66")).isEqualTo(suppressed);
    assertThat(contacts(freshConfig, "127.0.55.1")).isEqualTo(contacted);
  }

  @Test
  void aFileWithAMalformedLineOrNoEndLineIsRefusedWholeAndNothingIsImported() throws Exception {
    Path config = layout.primaryConfig("");
    local = layout.startPrimary(config);
    String good =
        "{\"suppression\":{\"prefix\":\"127.0.0.77/32\",\"since\":\"2099-01-01T00:00:00Z\","
            + "\"until\":\"2099-01-02T00:00:00Z\",\"reason\":\"mx-skip\",\"offences\":1,"
            + "\"evidence\":\"test\"}}\n";
    Path malformed = files.resolve("malformed.jsonl");
    Files.writeString(
        malformed,
        good
            + "{\"contact\":{\"network\":\"127.0.0.1/40\",\"preference\":10,\"at\":\"2099-01-01T00:00:00Z\"}}\n"
            + "{\"end\":{\"suppressions\":1,\"contacts\":1}}\n");
    Path cut = files.resolve("cut.jsonl");
    Files.writeString(cut, good);

    MxtrapProcess.Result refused = cli(config, "state", "import", malformed.toString());
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.output()).contains("malformed.jsonl:2: ").contains("nothing imported");
    MxtrapProcess.Result cutShort = cli(config, "state", "import", cut.toString());
    assertThat(cutShort.exitCode()).isEqualTo(1);
    assertThat(cutShort.output()).contains("no end line");
    assertThat(listed(config, "127.0.0.77")).contains("not listed");
  }
}
