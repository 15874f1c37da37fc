package org.mxtrap.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.ConfigException.Problem;
import org.mxtrap.core.Addresses;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads and validates a config file (format: PRODUCT.md, reference: docs/configuration.md).
 *
 * <p>Every problem in the file is found in one pass and reported together in one {@link
 * ConfigException}, each as {@code file:line: key.path: message}; nothing is clamped or guessed.
 * Relative paths in the file ({@code data_dir}, {@code tls.cert}, {@code tls.key}, {@code
 * recipients.file}) are resolved against the directory of the config file, not the working
 * directory. Loading does no DNS lookups. Stateless and thread-safe.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  /** The file {@link #resolve} reads when no {@code --config} was given, in the work dir. */
  public static final String DEFAULT_FILE = "mxtrap.yml";

  /**
   * The configuration every CLI command runs on: {@code explicit} (the {@code --config} option;
   * relative to {@code workDir}) if given, which must exist; else {@code workDir/mxtrap.yml} if it
   * exists; else the embedded demo defaults ({@link MxtrapConfig#demo}), whose {@link
   * MxtrapConfig#source()} is null.
   *
   * @throws ConfigException when the chosen file is missing or invalid
   */
  public static MxtrapConfig resolve(@Nullable Path explicit, Path workDir) throws ConfigException {
    if (explicit != null) {
      Path file = workDir.resolve(explicit);
      if (!Files.exists(file)) {
        throw new ConfigException(
            List.of(new Problem(explicit.toString(), 0, "", "no such file (given with --config)")));
      }
      return load(file, explicit.toString());
    }
    Path file = workDir.resolve(DEFAULT_FILE);
    if (Files.exists(file)) {
      return load(file, DEFAULT_FILE);
    }
    return demo(workDir);
  }

  /**
   * Reads {@code file}; problems name the file as given here.
   *
   * @throws ConfigException listing every problem found
   */
  public static MxtrapConfig load(Path file) throws ConfigException {
    return load(file, file.toString());
  }

  private static MxtrapConfig load(Path file, String name) throws ConfigException {
    String text;
    try {
      if (Files.isDirectory(file)) {
        throw fail(name, "is a directory, not a config file");
      }
      byte[] octets;
      try (InputStream in = Files.newInputStream(file)) {
        octets = in.readNBytes(YamlBounds.MAX_OCTETS + 1);
      }
      if (octets.length > YamlBounds.MAX_OCTETS) {
        throw new ConfigException(
            List.of(
                new Problem(
                    name,
                    lineAt(octets, YamlBounds.MAX_OCTETS),
                    "",
                    "the file passes "
                        + ByteSizes.format(YamlBounds.MAX_OCTETS)
                        + " on this line: a config file is a few kilobytes")));
      }
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(octets))
              .toString();
    } catch (NoSuchFileException e) {
      throw fail(name, "no such file");
    } catch (CharacterCodingException e) {
      throw fail(name, "not UTF-8 text");
    } catch (IOException e) {
      throw fail(name, "cannot read: " + e);
    }
    Node root;
    try {
      Problem unbounded = YamlBounds.check(name, text);
      if (unbounded != null) {
        throw new ConfigException(List.of(unbounded));
      }
      root = new Yaml(YamlBounds.loaderOptions()).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String problem = e.getProblem() != null ? e.getProblem() : e.getContext();
      if (problem != null && problem.startsWith("but ") && e.getContext() != null) {
        problem = e.getContext() + " " + problem; // "expected a single document ... but found"
      }
      int line = m == null ? 0 : m.getLine() + 1;
      String column = m == null ? "" : " (column " + (m.getColumn() + 1) + ")";
      throw new ConfigException(
          List.of(new Problem(name, line, "", "YAML syntax error: " + problem + column)));
    } catch (YAMLException e) {
      throw fail(name, "YAML error: " + e.getMessage());
    }
    Path source = file.toAbsolutePath().normalize();
    Path dir = source.getParent() != null ? source.getParent() : source;
    NodeReader reader = new NodeReader(name, dir, source);
    MxtrapConfig config = TopLevel.parse(reader, root);
    if (config == null) {
      throw new ConfigException(reader.problems());
    }
    return config;
  }

  /** The 1-based line of {@code octets} that octet {@code offset} lies on. */
  private static int lineAt(byte[] octets, int offset) {
    int line = 1;
    for (int i = 0; i < offset; i++) {
      if (octets[i] == '\n') {
        line++;
      }
    }
    return line;
  }

  private static ConfigException fail(String name, String message) {
    return new ConfigException(List.of(new Problem(name, 0, "", message)));
  }

  /**
   * The demo layout as a config file, with the loopback address ({@code %1$s}) and the entries'
   * socket addresses on it ({@code %2$s}..{@code %4$s}) to fill in. The traps arm after 30 seconds
   * (not {@code trap.arm_after}'s 24 hours), so a newcomer sees a trap hit within a minute; all on
   * loopback, it looks up no reverse names.
   */
  private static final String DEMO =
      """
      domains: [example.test]
      data_dir: data
      layout:
        - { preference: 10, host: mail.example.test, address: "%1$s", port: 2525, role: primary }
        - { preference: 30, host: mx2.example.test,  address: "%1$s", port: 2526, role: trap }
        - { preference: 40, host: mx3.example.test,  address: "%1$s", port: 2527, role: trap }
      listen: ["%2$s", "%3$s", "%4$s"]
      trap: { arm_after: 30s, probe_interval: 10s }
      dns: { ptr_budget: 0s }
      """;

  static MxtrapConfig demo(Path workDir) {
    InetAddress lo = InetAddress.getLoopbackAddress();
    String text =
        DEMO.formatted(
            Addresses.text(lo),
            Addresses.literal(lo, 2525),
            Addresses.literal(lo, 2526),
            Addresses.literal(lo, 2527));
    NodeReader reader = new NodeReader("(embedded demo)", workDir, null);
    MxtrapConfig config =
        TopLevel.parse(
            reader, new Yaml(YamlBounds.loaderOptions()).compose(new StringReader(text)));
    if (config == null) {
      throw new IllegalStateException("the embedded demo does not load: " + reader.problems());
    }
    return config;
  }
}
