package org.mxtrap.app;

import java.util.concurrent.Callable;
import org.mxtrap.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mxtrap reload [--json]}: the running server re-reads its config file, as on SIGHUP. */
@Command(
    name = "reload",
    mixinStandardHelpOptions = true,
    description = {
      "Make the running server re-read the config file it was started with, as SIGHUP (systemctl"
          + " reload) does: allow and block lists, DNSBL zones, trap and suppress settings, the"
          + " session limits, the TLS certificate and the recipient list take effect for new"
          + " connections without closing any; the decision log is reopened. Prints the keys"
          + " applied and the changed keys that need a restart.",
      "An invalid file is refused with its errors (file:line) and the running config stays: this"
          + " command finds them before it asks the server. Exit 0 when applied, 1 when the"
          + " server refuses or is not running, 2 for an invalid file."
    })
final class ReloadCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "print the API's JSON instead of text")
  boolean json;

  @Override
  public Integer call() throws ConfigException {
    return AdminCall.run(config, spec, "POST", "/reload", json);
  }
}
