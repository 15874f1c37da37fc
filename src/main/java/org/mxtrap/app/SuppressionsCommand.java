package org.mxtrap.app;

import java.util.Objects;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.mxtrap.admin.AdminClient;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.Durations;
import org.mxtrap.core.Cidr;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mxtrap suppressions list|add|remove}: inspect and edit the running server's suppressions
 * through its admin API.
 */
@Command(
    name = "suppressions",
    mixinStandardHelpOptions = true,
    description = {
      "Inspect and edit the running server's suppressions (through its admin API: admin.bind,"
          + " token in DATA_DIR/admin.token)."
    },
    subcommands = {
      SuppressionsCommand.ListCommand.class,
      SuppressionsCommand.AddCommand.class,
      SuppressionsCommand.RemoveCommand.class
    })
final class SuppressionsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** Without a subcommand: the usage, as a usage error. */
  @Override
  public Integer call() throws ConfigException {
    spec.commandLine().usage(spec.commandLine().getErr());
    return Cli.EXIT_CONFIG;
  }

  private static final String EXITS =
      "Exit 0 on success, 1 when mxtrap is not running or answers an error, 2 on a usage or"
          + " config error.";

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "List the active suppressions: address (or CIDR prefix), until, reason, offences, since,"
            + " evidence. With --json: an array of {address, since, until, reason, offences,"
            + " evidence}, times in ISO-8601 UTC.",
        EXITS
      })
  static final class ListCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "print the API's JSON array instead of text")
    boolean json;

    @Override
    public Integer call() throws ConfigException {
      return AdminCall.run(config, spec, "GET", "/suppressions", json);
    }
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = {
        "Suppress an address or a CIDR prefix on every listener, for exactly --for from now"
            + " (replacing a current suppression of the same prefix).",
        EXITS
      })
  static final class AddCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "IP", description = "an address or a CIDR prefix (192.0.2.0/24)")
    String address;

    @Option(
        names = "--for",
        paramLabel = "DURATION",
        description = "how long: 90s, 15m, 24h, 30d (default: the config's trap.suppress_for)")
    @Nullable String duration;

    @Option(
        names = "--reason",
        paramLabel = "TEXT",
        description = "why, kept with the suppression (default: manual)")
    @Nullable String reason;

    @Override
    public Integer call() throws ConfigException {
      try {
        Cidr.parse(address);
      } catch (IllegalArgumentException e) {
        return AdminCall.usage(spec, Objects.requireNonNullElse(e.getMessage(), e.toString()));
      }
      StringBuilder q =
          new StringBuilder("/suppressions?").append(AdminClient.param("address", address));
      if (duration != null) {
        try {
          if (Durations.parse(duration).isZero()) {
            return AdminCall.usage(spec, "--for must be longer than 0s");
          }
        } catch (IllegalArgumentException e) {
          return AdminCall.usage(spec, "--for: " + e.getMessage());
        }
        q.append('&').append(AdminClient.param("for", duration));
      }
      if (reason != null) {
        q.append('&').append(AdminClient.param("reason", reason));
      }
      return AdminCall.run(config, spec, "POST", q.toString(), false);
    }
  }

  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      description = {
        "End the suppression of exactly this address or prefix (its history is kept, so a"
            + " repeat offence still doubles).",
        EXITS
      })
  static final class RemoveCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "IP", description = "the suppressed address or CIDR prefix")
    String address;

    @Override
    public Integer call() throws ConfigException {
      try {
        Cidr.parse(address);
      } catch (IllegalArgumentException e) {
        return AdminCall.usage(spec, Objects.requireNonNullElse(e.getMessage(), e.toString()));
      }
      return AdminCall.run(
          config, spec, "DELETE", "/suppressions?" + AdminClient.param("address", address), false);
    }
  }
}
