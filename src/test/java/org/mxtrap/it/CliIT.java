package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The packaged CLI as an administrator meets it: help, version, check-config's exit codes. */
class CliIT {
  @TempDir Path dir;

  @ParameterizedTest(name = "mxtrap {0} --help")
  @ValueSource(
      strings = {
        "serve",
        "check-config",
        "status",
        "suppressions list",
        "suppressions add",
        "suppressions remove",
        "explain",
        "queue list",
        "queue show",
        "queue flush",
        "queue delete",
        "heap"
      })
  void everyCommandHasHelp(String command) throws Exception {
    List<String> args = new ArrayList<>(List.of(command.split(" ")));
    args.add("--help");
    MxtrapProcess.Result r = MxtrapProcess.run(Duration.ofSeconds(30), args.toArray(String[]::new));
    assertThat(r.exitCode()).isZero();
    assertThat(r.output()).contains("Usage: mxtrap " + command).contains("--config");
  }

  @Test
  void topLevelHelpAndVersion() throws Exception {
    MxtrapProcess.Result help = MxtrapProcess.run(Duration.ofSeconds(30), "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.output())
        .contains("serve")
        .contains("check-config")
        .contains("status")
        .contains("suppressions")
        .contains("explain")
        .contains("queue");
    MxtrapProcess.Result version = MxtrapProcess.run(Duration.ofSeconds(30), "--version");
    assertThat(version.exitCode()).isZero();
    assertThat(version.output()).startsWith("mxtrap ");
  }

  @Test
  void checkConfigAcceptsAValidFile() throws Exception {
    Path config = new TestLayout(dir).write();
    MxtrapProcess.Result r =
        MxtrapProcess.run(Duration.ofSeconds(30), "check-config", "--config", config.toString());
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("valid").contains("MX 30");
  }

  @Test
  void checkConfigNamesFileLineAndKeyOfEveryErrorAndExits2() throws Exception {
    Path config = dir.resolve("broken.yml");
    Files.writeString(
        config,
        """
        hostname: mail.example.test
        domains: [example.test]
        layout:
          - { preference: 10, host: mail.example.test, address: 192.0.2.300, role: primary }
          - { preference: 30, host: mx2.example.test, address: 192.0.2.30, role: trapp }
        limits: { command_timeout: 5 }
        policy: { bind: "unix:relative/policy.sock" }
        colour: blue
        """);
    MxtrapProcess.Result r =
        MxtrapProcess.run(Duration.ofSeconds(30), "check-config", "--config", config.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.output())
        .contains("broken.yml:4: layout[0].address")
        .contains("broken.yml:5: layout[1].role")
        .contains("broken.yml:6: limits.command_timeout")
        .contains("broken.yml:7: policy.bind: a UNIX socket needs an absolute path")
        .contains("broken.yml:8: colour");
  }

  @Test
  void serveRefusesABrokenConfigWithExit2() throws Exception {
    Path config = dir.resolve("broken.yml");
    Files.writeString(config, "domains: [example.test]\n");
    MxtrapProcess.Result r =
        MxtrapProcess.run(Duration.ofSeconds(30), "serve", "--config", config.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.output()).contains("broken.yml").contains("layout");
  }

  /**
   * Issue 9, defect 8: a duration out of range passed check-config and then crashed serve with a
   * stack trace; hostile YAML was refused without a line. Both are now file:line errors, exit 2.
   */
  @Test
  void outOfRangeDurationsAndHostileYamlAreFileLineErrors() throws Exception {
    Path config =
        new TestLayout(dir).extra("trap: { window: 110000000000d, greet_delay: 10m }").write();
    MxtrapProcess.Result r =
        MxtrapProcess.run(Duration.ofSeconds(30), "check-config", "--config", config.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.output())
        .containsPattern("mxtrap.yml:\\d+: trap.window: ")
        .containsPattern("mxtrap.yml:\\d+: trap.greet_delay: ")
        .doesNotContain("Exception");
    MxtrapProcess.Result serve =
        MxtrapProcess.run(Duration.ofSeconds(30), "serve", "--config", config.toString());
    assertThat(serve.exitCode()).isEqualTo(2);
    assertThat(serve.output()).doesNotContain("Exception");

    Path bomb = dir.resolve("bomb.yml");
    StringBuilder y = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 30; i++) {
      y.append("a").append(i).append(": &a").append(i).append(" [");
      y.append(("*a" + (i - 1) + ", ").repeat(9)).append("*a").append(i - 1).append("]\n");
    }
    Files.writeString(bomb, y);
    MxtrapProcess.Result b =
        MxtrapProcess.run(Duration.ofSeconds(30), "check-config", "--config", bomb.toString());
    assertThat(b.exitCode()).isEqualTo(2);
    assertThat(b.output()).containsPattern("bomb.yml:\\d+: ").doesNotContain("Exception");
  }

  /** The launcher sizes the heap from the limits: {@code mxtrap heap} is what it asks. */
  @Test
  void heapPrintsASizeForTheLauncher() throws Exception {
    Path config = new TestLayout(dir).limits("{ max_connections: 1000 }").write();
    MxtrapProcess.Result r =
        MxtrapProcess.run(Duration.ofSeconds(30), "heap", "--config", config.toString());
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output().strip()).matches("[0-9]+m");
    // (3 entries x 1000 x 32 KiB + 64 MiB + 1M contacts x 128 B + tarpit 20000 x 2 KiB) x 4/3
    assertThat(Long.parseLong(r.output().strip().replace("m", ""))).isBetween(400L, 450L);
  }
}
