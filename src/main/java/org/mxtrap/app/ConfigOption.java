package org.mxtrap.app;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.ConfigLoader;
import org.mxtrap.config.MxtrapConfig;
import picocli.CommandLine.Option;

/** The {@code --config FILE} option every command shares, and how it is resolved. */
final class ConfigOption {
  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description =
          "config file (default: $MXTRAP_CONFIG, which the installed /usr/bin/mxtrap sets to"
              + " /etc/mxtrap/mxtrap.yml; else ./mxtrap.yml if present, else the embedded demo"
              + " layout)")
  @Nullable Path file;

  /** The environment variable that names the config file when {@code --config} does not. */
  static final String ENV = "MXTRAP_CONFIG";

  MxtrapConfig load() throws ConfigException {
    Path given = file;
    String env = System.getenv(ENV);
    if (given == null && env != null && !env.isBlank()) {
      given = Path.of(env);
    }
    return ConfigLoader.resolve(given, Path.of("").toAbsolutePath());
  }
}
