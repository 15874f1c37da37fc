package org.mxtrap.app;

import java.util.concurrent.Callable;
import org.mxtrap.admin.AdminClient;
import org.mxtrap.config.ConfigException;
import org.mxtrap.core.Addresses;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mxtrap explain IP [--json]}: the decisions and evidence about one address. */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    description = {
      "Say why an address is where it is: allow and block list matches, its suppression and the"
          + " stored history, its contacts per MX preference, the recent decisions about it, and"
          + " what each MX of the layout would answer it now.",
      "Talks to the running server (admin.bind, token in DATA_DIR/admin.token). Exit 0 on"
          + " success, 1 when mxtrap is not running or answers an error, 2 on a usage or config"
          + " error."
    })
final class ExplainCommand implements Callable<Integer> {
  @Mixin ConfigOption config;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "IP", description = "the client address (IPv4 or IPv6)")
  String address;

  @Option(names = "--json", description = "print the API's JSON instead of text")
  boolean json;

  @Override
  public Integer call() throws ConfigException {
    if (Addresses.parse(address).isEmpty()) {
      return AdminCall.usage(spec, "not an IP address: " + address);
    }
    return AdminCall.run(
        config, spec, "GET", "/explain?" + AdminClient.param("address", address), json);
  }
}
