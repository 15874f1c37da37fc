package org.mxtrap.app;

import java.util.concurrent.Callable;
import org.mxtrap.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mxtrap status [--json]}: asks the running server through its admin API. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show the running server's listeners, whether each trap entry is armed and why, and its"
          + " counters (decisions by verdict since start, active suppressions, contact-history"
          + " evictions).",
      "Talks to admin.bind of the config with the token from DATA_DIR/admin.token. Exit 0 on"
          + " success, 1 when mxtrap is not running or answers an error, 2 on a config error."
    })
final class StatusCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "print the API's JSON instead of text")
  boolean json;

  @Override
  public Integer call() throws ConfigException {
    return AdminCall.run(config, spec, "GET", "/status", json);
  }
}
