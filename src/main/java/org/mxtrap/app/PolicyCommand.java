package org.mxtrap.app;

import java.io.IOException;
import java.util.concurrent.Callable;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.MxtrapConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mxtrap policy}: the trap engine, its state and the admin API behind Postfix's policy
 * delegation protocol, with no SMTP listeners of its own: Postfix listens on the layout's
 * addresses, so every primary and backup entry is probed like another host's. Stops like {@code
 * serve}. Exit 2 when {@code policy.bind} is not set.
 */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    description = {
      "Run the Postfix policy service (policy.bind) with the engine, state and admin API;"
          + " no SMTP listeners. Stops gracefully on SIGTERM or SIGINT."
    })
final class PolicyCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Spec CommandSpec spec;

  @Option(
      names = "--grace",
      paramLabel = "SECONDS",
      defaultValue = "5",
      description = "on SIGTERM, how long the stop may take (default: ${DEFAULT-VALUE})")
  int graceSeconds;

  @Override
  public Integer call() throws ConfigException, IOException, InterruptedException {
    MxtrapConfig c = config.load();
    if (c.policy().bind() == null) {
      spec.commandLine()
          .getErr()
          .println(
              "mxtrap policy: policy.bind is not set in "
                  + (c.source() == null ? "the demo defaults" : c.source()));
      return Cli.EXIT_CONFIG;
    }
    return ServeCommand.run(spec, c.withoutListeners(), graceSeconds);
  }
}
