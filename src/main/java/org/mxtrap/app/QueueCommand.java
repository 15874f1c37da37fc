package org.mxtrap.app;

import java.util.concurrent.Callable;
import org.mxtrap.config.ConfigException;
import org.mxtrap.queue.Spool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mxtrap queue list|show|flush|delete}: inspect and edit the running server's mail queue
 * through its admin API, as Postfix's {@code mailq}, {@code postqueue -f} and {@code postsuper -d}
 * do.
 */
@Command(
    name = "queue",
    mixinStandardHelpOptions = true,
    description = {
      "Inspect and edit the running server's mail queue (through its admin API: admin.bind,"
          + " token in DATA_DIR/admin.token)."
    },
    subcommands = {
      QueueCommand.ListCommand.class,
      QueueCommand.ShowCommand.class,
      QueueCommand.FlushCommand.class,
      QueueCommand.DeleteCommand.class
    })
final class QueueCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** Without a subcommand: the usage, as a usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return Cli.EXIT_CONFIG;
  }

  private static final String EXITS =
      "Exit 0 on success, 1 when mxtrap is not running, the message is not queued or mxtrap answers"
          + " another error, 2 on a usage or config error.";

  private static final String MESSAGE_JSON =
      "{id, sender, arrived, size, client, recipients: [{address, status, attempts, next_attempt,"
          + " last_error}]}; sender is empty for the null sender, status one of pending (never"
          + " tried), deferred, delivered, failed; times in ISO-8601 UTC.";

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "List the queued messages, oldest first, one block each: queue ID, size, arrival, sender"
            + " and client, then each recipient with its status, attempts, next attempt and last"
            + " error. With --json: an array of "
            + MESSAGE_JSON,
        EXITS
      })
  static final class ListCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "print the API's JSON array instead of text")
    boolean json;

    @Override
    public Integer call() throws ConfigException {
      return AdminCall.run(config, spec, "GET", "/queue/messages", json);
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = {"Show one queued message. With --json: " + MESSAGE_JSON, EXITS})
  static final class ShowCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "ID", description = "the queue ID, as queue list shows it")
    String id;

    @Option(names = "--json", description = "print the API's JSON object instead of text")
    boolean json;

    @Override
    public Integer call() throws ConfigException {
      if (!Spool.isId(id)) {
        return AdminCall.usage(spec, "not a queue ID: " + id);
      }
      return AdminCall.run(config, spec, "GET", "/queue/messages/" + id, json);
    }
  }

  @Command(
      name = "flush",
      mixinStandardHelpOptions = true,
      description = {
        "Make every queued message due now: the queue runner tries each at once (the command"
            + " returns before the attempts end; queue list shows their outcome).",
        EXITS
      })
  static final class FlushCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws ConfigException {
      return AdminCall.run(config, spec, "POST", "/queue/flush", false);
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = {
        "Delete a queued message for good, whatever its recipients' states, without a bounce to"
            + " its sender (as postsuper -d). A delivery attempt already running may still"
            + " deliver it to some recipients.",
        EXITS
      })
  static final class DeleteCommand implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "ID", description = "the queue ID, as queue list shows it")
    String id;

    @Override
    public Integer call() throws ConfigException {
      if (!Spool.isId(id)) {
        return AdminCall.usage(spec, "not a queue ID: " + id);
      }
      return AdminCall.run(config, spec, "DELETE", "/queue/messages/" + id, false);
    }
  }
}
