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
      description = "config file (default: ./mxtrap.yml if present, else the embedded demo layout)")
  @Nullable Path file;

  MxtrapConfig load() throws ConfigException {
    return ConfigLoader.resolve(file, Path.of("").toAbsolutePath());
  }
}
