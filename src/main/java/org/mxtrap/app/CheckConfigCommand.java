package org.mxtrap.app;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.MxtrapConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code mxtrap check-config}: validates the config; exit 0 when valid, 2 with every error. */
@Command(
    name = "check-config",
    mixinStandardHelpOptions = true,
    description = {
      "Validate the configuration and print the effective settings.",
      "Every error names file, line and key. Exit 0 when valid, 2 on error."
    })
final class CheckConfigCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      MxtrapConfig c = config.load();
      out.println(
          c.source() == null
              ? "no config file given or found: the embedded demo layout is valid"
              : c.source() + ": valid");
      out.println(c.describe());
      return 0;
    } catch (ConfigException e) {
      err.println(e.getMessage());
      err.println(e.problems().size() + (e.problems().size() == 1 ? " error" : " errors"));
      return Cli.EXIT_CONFIG;
    }
  }
}
