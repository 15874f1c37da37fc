package org.mxtrap.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import org.mxtrap.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code mxtrap} command and its subcommands. */
@Command(
    name = "mxtrap",
    mixinStandardHelpOptions = true,
    versionProvider = Cli.Version.class,
    description = "A mail exchanger that turns a domain's MX layout into a spam trap.",
    subcommands = {
      ServeCommand.class,
      PolicyCommand.class,
      CheckConfigCommand.class,
      StatusCommand.class,
      SuppressionsCommand.class,
      StateCommand.class,
      QueueCommand.class,
      ExplainCommand.class,
      MxCommand.class,
      DnsCommand.class,
      PostfixConfigCommand.class,
      HeapCommand.class,
      ReloadCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Cli implements Runnable {

  /** Exit code for a usage or configuration error, as {@code check-config} documents. */
  public static final int EXIT_CONFIG = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /**
   * The command line. A config that does not load gets the same answer from every command: its
   * errors on standard error and exit {@link #EXIT_CONFIG}.
   */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Cli());
    cl.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof ConfigException c) {
            cmd.getErr().println(c.getMessage());
            return EXIT_CONFIG;
          }
          throw e;
        });
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"mxtrap " + version()};
    }

    /** This build's version, from the jar; {@code unknown} when it says none. */
    static String version() {
      Properties p = new Properties();
      try (InputStream in = Cli.class.getResourceAsStream("/org/mxtrap/version.properties")) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return p.getProperty("version", "unknown");
    }
  }
}
