package org.mxtrap.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code mxtrap check-config} in process: what a hostile or absurd file gets, and the exit. */
class CheckConfigCommandTest {
  static final String MINIMAL =
      """
      domains: [example.com]
      layout:
        - { preference: 10, host: mail.example.com, address: 192.0.2.10, role: primary }
      """;

  @TempDir Path dir;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  int checkConfig(String yaml) throws Exception {
    Path file = dir.resolve("mxtrap.yml");
    Files.writeString(file, yaml);
    CommandLine cli = Cli.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute("check-config", "--config", file.toString());
  }

  @Test
  void anOutOfRangeDurationIsAnErrorWithItsLineNotAStackTrace() throws Exception {
    assertThat(checkConfig(MINIMAL + "trap: {window: 110000000000d}\n")).isEqualTo(2);
    assertThat(err.toString())
        .isEqualTo(
            dir.resolve("mxtrap.yml")
                + ":4: trap.window: duration too large: 110000000000d; at most 36500d\n1 error\n");
  }

  @Test
  void anAliasBombIsAnErrorWithItsLine() throws Exception {
    StringBuilder y = new StringBuilder(MINIMAL).append("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for (char c = 'b'; c <= 'j'; c++) {
      y.append(c).append(": &").append(c).append(" [");
      y.append(String.join(", ", Collections.nCopies(9, "*" + (char) (c - 1))));
      y.append("]\n");
    }
    assertThat(checkConfig(y.toString())).isEqualTo(2);
    assertThat(err.toString())
        .startsWith(
            dir.resolve("mxtrap.yml")
                + ":10: more than 50 aliases of lists or mappings (an alias bomb?)");
  }

  @Test
  void overDeepNestingIsAnErrorWithItsLine() throws Exception {
    assertThat(checkConfig(MINIMAL + "allow: " + "[".repeat(100) + "]".repeat(100) + "\n"))
        .isEqualTo(2);
    assertThat(err.toString())
        .startsWith(
            dir.resolve("mxtrap.yml")
                + ":4: lists and mappings nested more than 50 deep: not a config file");
  }

  @Test
  void theNewKeysAreShownInTheEffectiveConfig() throws Exception {
    Files.writeString(dir.resolve("recipients"), "alice@example.com\n@example.com\n");
    assertThat(
            checkConfig(
                MINIMAL
                    + "limits: { min_data_rate: 1KB, message_memory: auto }\n"
                    + "recipients: { mode: list, file: recipients, max_unknown: 5 }\n"))
        .isEqualTo(0);
    assertThat(out.toString())
        .contains("min_data_rate=1KB message_memory=auto")
        .contains(
            "recipients: mode=list file="
                + dir.resolve("recipients").toAbsolutePath().normalize()
                + " max_unknown=5");
  }
}
