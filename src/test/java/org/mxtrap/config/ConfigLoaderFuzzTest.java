package org.mxtrap.config;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.MethodSource;
import org.mxtrap.config.ConfigException.Problem;
import org.mxtrap.fuzz.InputDeadline;

/**
 * Fuzzes {@link ConfigLoader#load} with arbitrary file content: it either returns a config that can
 * be described (what {@code check-config} and the start log print) or throws a {@link
 * ConfigException} whose problems point into the file; never another exception.
 *
 * <p>Committed inputs: {@code src/test/resources/org/mxtrap/config/ConfigLoaderFuzzTestInputs/};
 * {@link #examples()} adds the example config of the checkout as it is now.
 */
class ConfigLoaderFuzzTest {

  @TempDir static Path dir;

  static Stream<byte[]> examples() throws IOException {
    return Stream.of(
        Files.readAllBytes(Path.of("mxtrap.example.yml")),
        ConfigLoaderTest.PRODUCT_EXAMPLE.getBytes(UTF_8),
        ConfigLoaderTest.MINIMAL.getBytes(UTF_8));
  }

  @MethodSource("examples")
  @FuzzTest
  void load(byte[] content) throws IOException {
    InputDeadline.run(content, () -> loadFile(content));
  }

  private static void loadFile(byte[] content) throws IOException {
    Path file = dir.resolve("mxtrap.yml");
    Files.write(file, content);
    MxtrapConfig config;
    try {
      config = ConfigLoader.load(file);
    } catch (ConfigException e) {
      checkProblems(e, content);
      return;
    }
    assertThat(config.describe()).isNotEmpty();
  }

  private static void checkProblems(ConfigException e, byte[] content) {
    assertThat(e.problems())
        .isNotEmpty()
        .isSortedAccordingTo(Comparator.comparingInt(Problem::line));
    int lines = 1 + lineBreaks(new String(content, UTF_8));
    for (Problem p : e.problems()) {
      assertThat(p.message()).isNotBlank();
      if (p.message().equals("not UTF-8 text")) {
        continue; // about the whole file
      }
      assertThat(p.line()).as("%s: a line in the file", p).isBetween(1, lines);
    }
  }

  /** Line breaks as YAML 1.1 (SnakeYAML) counts them: CRLF, CR, LF, NEL, LS, PS. */
  private static int lineBreaks(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
        n++;
      } else if (c == '\r' && (i + 1 == s.length() || s.charAt(i + 1) != '\n')) {
        n++;
      }
    }
    return n;
  }
}
