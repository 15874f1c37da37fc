package org.mxtrap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.ConfigException.Problem;
import org.mxtrap.config.ExportSettings.Format;

/** The {@code export} section: values, defaults, every error at once. */
class ExportConfigTest {

  @TempDir Path dir;

  private Path write(String extra) throws IOException {
    Path f = dir.resolve("mxtrap.yml");
    Files.writeString(f, DnsblConfigTest.MINIMAL + extra);
    return f;
  }

  private List<String> problems(String extra) throws IOException {
    Path f = write(extra);
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(f));
    assertThat(e).as("expected a ConfigException").isNotNull();
    return e.problems().stream()
        .map(Problem::toString)
        .map(p -> p.substring((f + ":").length()))
        .toList();
  }

  @Test
  void withoutTheSectionNothingIsExported() throws Exception {
    MxtrapConfig c = ConfigLoader.load(write(""));
    assertThat(c.export()).isNull();
    assertThat(c.describe()).contains("export: off");
  }

  @Test
  void aSectionHasItsDefaultsAndAFileRelativeToTheConfig() throws Exception {
    MxtrapConfig c =
        ConfigLoader.load(
            write(
                """
                export:
                  format: rbldnsd
                  file: out/trapped.zone
                  on_change: [sh, -c, "kill -HUP $(cat /run/rbldnsd.pid)"]
                """));
    assertThat(c.export())
        .isEqualTo(
            new ExportSettings(
                Format.RBLDNSD,
                dir.resolve("out/trapped.zone").toAbsolutePath().normalize(),
                List.of("sh", "-c", "kill -HUP $(cat /run/rbldnsd.pid)"),
                Duration.ofSeconds(30),
                Duration.ofSeconds(5)));
    assertThat(c.describe())
        .contains("export: rbldnsd to " + dir.resolve("out/trapped.zone").toAbsolutePath())
        .contains("at most once per 5s, then sh -c kill -HUP $(cat /run/rbldnsd.pid)");
  }

  @Test
  void everyProblemIsReportedAtOnce() throws Exception {
    assertThat(problems("export: {}\n"))
        .containsExactly(
            "4: export.format: required key is missing (what the file holds: nft, ipset, rbldnsd"
                + " or csv)",
            "4: export.file: required key is missing (where the export is written)");
    assertThat(
            problems(
                """
                export:
                  format: iptables
                  file: x
                  on_change: []
                  debounce: 2h
                """))
        .hasSize(3)
        .anySatisfy(p -> assertThat(p).startsWith("5: export.format:").contains("nft"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .isEqualTo("7: export.on_change: an empty command; remove the key to run none"))
        .anySatisfy(p -> assertThat(p).startsWith("8: export.debounce:"));
    assertThat(problems("export: { format: csv, file: x, on_change: [ls, \"\"] }\n"))
        .containsExactly("4: export.on_change[1]: an empty argument");
  }
}
