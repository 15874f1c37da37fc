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
        "explain"
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
        .contains("explain");
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
        trusted_relays: [198.51.100.5]
        colour: blue
        """);
    MxtrapProcess.Result r =
        MxtrapProcess.run(Duration.ofSeconds(30), "check-config", "--config", config.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.output())
        .contains("broken.yml:4: layout[0].address")
        .contains("broken.yml:5: layout[1].role")
        .contains("broken.yml:6: limits.command_timeout")
        .contains("broken.yml:7: trusted_relays: not supported yet")
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
}
