package org.mxtrap.it;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mxtrap.testing.FreePorts;

/**
 * The layout of the backup ITs: example.test with the primary (MX 10, mail.example.test on
 * 127.0.0.10) and the backup (MX 20, backup.example.test on 127.0.0.20), each a packaged mxtrap
 * with its own directory under {@code hosts}, and {@link #ZONE} for a real DNS server ({@link
 * LoopbackUnbound}) to publish.
 */
final class TwoMxLayout {
  static final String ZONE =
      """
      $ORIGIN example.test.
      $TTL 300
      @          IN SOA  ns hostmaster 1 3600 600 86400 60
      @          IN NS   ns
      ns         IN A    127.0.0.1
      @          IN MX   10 mail
      @          IN MX   20 backup
      mail       IN A    127.0.0.10
      backup     IN A    127.0.0.20
      """;

  final Path hosts;
  final int primaryPort = FreePorts.next();
  final int backupPort = FreePorts.next();

  TwoMxLayout(Path hosts) {
    this.hosts = hosts;
  }

  /**
   * The config of one host of the layout: the layout is the same everywhere, the rest is its own.
   */
  Path config(String name, String hostname, String listen, String extra) throws Exception {
    Path home = Files.createDirectories(hosts.resolve(name));
    Path file = home.resolve("mxtrap.yml");
    Files.writeString(
        file,
        """
        hostname: %s
        domains: [example.test]
        data_dir: %s
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.10, port: %d, role: primary }
          - { preference: 20, host: backup.example.test, address: 127.0.0.20, port: %d, role: backup }
        listen: ["%s"]
        admin: { bind: "127.0.0.1:%d" }
        """
                .formatted(
                    hostname,
                    home.resolve("data"),
                    primaryPort,
                    backupPort,
                    listen,
                    FreePorts.next())
            + extra);
    return file;
  }

  /** The primary, delivering to Maildirs; {@code extra}: more top-level keys. */
  Path primaryConfig(String extra) throws Exception {
    return config(
        "primary",
        "mail.example.test",
        "127.0.0.10:" + primaryPort,
        "dns: { ptr_budget: 0s }\n" + extra);
  }

  /**
   * The backup in {@code delivery.mode: mx}, finding the primary through {@code unbound} and
   * probing it every second; {@code extra}: more top-level keys.
   */
  Path backupConfig(LoopbackUnbound unbound, String extra) throws Exception {
    return config(
        "backup",
        "backup.example.test",
        "127.0.0.20:" + backupPort,
        "delivery: { mode: mx }\n"
            + "dns: { resolver: \"%s\", ptr_budget: 0s }\n".formatted(unbound.address())
            + "trap: { probe_interval: 1s }\n"
            + extra);
  }

  MxtrapProcess startPrimary(Path config) throws Exception {
    return MxtrapProcess.startOn(
        config, hosts.resolve("primary.log"), at("127.0.0.10", primaryPort));
  }

  MxtrapProcess startBackup(Path config) throws Exception {
    return MxtrapProcess.startOn(config, hosts.resolve("backup.log"), at("127.0.0.20", backupPort));
  }

  Path primaryInbox(String localPart) {
    return hosts.resolve("primary/data/mail/example.test").resolve(localPart).resolve("new");
  }

  private static InetSocketAddress at(String address, int port) throws Exception {
    return new InetSocketAddress(InetAddress.getByName(address), port);
  }
}
