package org.mxtrap.app;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.mxtrap.admin.AdminClient;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.Durations;
import org.mxtrap.config.ExportSettings;
import org.mxtrap.core.Cidr;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mxtrap suppressions list|add|remove|export}: inspect and edit the running server's
 * suppressions through its admin API.
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
      SuppressionsCommand.RemoveCommand.class,
      SuppressionsCommand.ExportCommand.class
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

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
        "Print the active suppressions for the rest of a site's defences: nft (an nftables table"
            + " inet mxtrap with the sets trapped4 and trapped6, for nft -f), ipset (the sets"
            + " mxtrap-trapped4 and mxtrap-trapped6, for ipset restore), rbldnsd (a combined"
            + " dataset: ip4set and ip6trie, A 127.0.0.2, TXT the reason) or csv (address, since,"
            + " until, reason, offences). The config's export section keeps a file current.",
        EXITS
      })
  static final class ExportCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Option(
        names = "--format",
        required = true,
        paramLabel = "FORMAT",
        description = "nft, ipset, rbldnsd or csv")
    String format = "";

    @Option(
        names = "--output",
        paramLabel = "FILE",
        description = "write FILE (replaced in one step) instead of printing")
    @Nullable Path output;

    @Override
    public Integer call() throws ConfigException {
      if (ExportSettings.Format.named(format).isEmpty()) {
        return AdminCall.usage(
            spec, "--format: " + format + " is none of " + ExportSettings.Format.labels());
      }
      String path = "/suppressions/export?" + AdminClient.param("format", format);
      Path file = output;
      if (file == null) {
        return AdminCall.run(config, spec, "GET", path, false);
      }
      try {
        ExportFile.write(file, AdminCall.client(config).call("GET", path, false));
        return 0;
      } catch (AdminClient.Failure f) {
        spec.commandLine().getErr().println(f.getMessage());
        return 1;
      } catch (IOException e) {
        spec.commandLine().getErr().println("cannot write " + file + ": " + e);
        return 1;
      }
    }
  }
}
