package org.mxtrap.app;

import java.io.PrintWriter;
import org.mxtrap.admin.AdminClient;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.MxtrapConfig;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What the commands that talk to a running server share: load the config, make one call to its
 * admin API, print the answer. Exit 0 on success; 1 when the server answers an error or is not
 * running; 2 ({@link Cli#EXIT_CONFIG}) for a config error.
 */
final class AdminCall {
  private AdminCall() {}

  static int run(
      ConfigOption config, CommandSpec spec, String method, String pathAndQuery, boolean json)
      throws ConfigException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      String body = client(config).call(method, pathAndQuery, json);
      out.print(body.endsWith("\n") ? body : body + "\n");
      out.flush();
      return 0;
    } catch (AdminClient.Failure f) {
      err.println(f.getMessage());
      err.flush();
      return 1;
    }
  }

  /** A usage error found before any call: said on stderr, exit 2. */
  static int usage(CommandSpec spec, String message) {
    spec.commandLine().getErr().println(message);
    return Cli.EXIT_CONFIG;
  }

  /** The client of the admin API of the server that runs with {@code config}. */
  static AdminClient client(ConfigOption config) throws ConfigException, AdminClient.Failure {
    MxtrapConfig c = config.load();
    return AdminClient.of(
        c.admin().bind(),
        c.dataDir(),
        c.source() == null ? "the embedded demo layout" : c.source().toString());
  }
}
