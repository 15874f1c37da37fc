package org.mxtrap.app;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.mxtrap.config.DnsSettings;
import org.mxtrap.config.IpLiterals;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The {@code --resolver HOST[:PORT]} option of the commands that ask DNS, and how it applies. */
final class ResolverOption {
  @Option(
      names = "--resolver",
      paramLabel = "HOST[:PORT]",
      description =
          "resolver to ask instead of dns.resolver (an IP address, port 53 by default);"
              + " repeat for several, asked in order")
  List<String> resolvers = new ArrayList<>();

  /**
   * {@code settings} with the resolvers given, if any.
   *
   * @throws ParameterException naming the option, for an address that does not parse
   */
  DnsSettings apply(DnsSettings settings, CommandLine commandLine) {
    if (resolvers.isEmpty()) {
      return settings;
    }
    List<InetSocketAddress> given = new ArrayList<>();
    for (String r : resolvers) {
      try {
        given.add(IpLiterals.parseSocketAddress(r, DnsSettings.DNS_PORT));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(commandLine, "--resolver: " + e.getMessage());
      }
    }
    return settings.withResolvers(given);
  }
}
