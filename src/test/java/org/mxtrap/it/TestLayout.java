package org.mxtrap.it;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.mxtrap.testing.FreePorts;

/**
 * The demo layout of PRODUCT.md (domain {@code example.test}, primary MX 10, traps MX 30 and 40) on
 * free loopback ports, written as a config file into a test's temp directory.
 */
final class TestLayout {
  final Path dir;
  final Path dataDir;
  final int primary = FreePorts.next();
  final int trap30 = FreePorts.next();
  final int trap40 = FreePorts.next();
  final int admin = FreePorts.next();
  String limits = "";
  String tls = "";
  String extra = "";
  String adminKeys = "";
  @Nullable InetAddress probeFrom;
  List<String> jvmOptions = List.of();
  int openFiles;

  TestLayout(Path dir) {
    this.dir = dir;
    this.dataDir = dir.resolve("data");
  }

  TestLayout limits(String yamlFlowMap) {
    this.limits = "limits: " + yamlFlowMap + "\n";
    return this;
  }

  TestLayout tls(Path cert, Path key) {
    this.tls = "tls: { cert: " + cert + ", key: " + key + " }\n";
    return this;
  }

  /** More top-level YAML (trap:, suppress:, allow:, ...). */
  TestLayout extra(String yaml) {
    this.extra += yaml.endsWith("\n") ? yaml : yaml + "\n";
    return this;
  }

  /**
   * The loopback source address the start-up probe connects from, when the config blocks the
   * default one.
   */
  TestLayout probeFrom(InetAddress from) {
    this.probeFrom = from;
    return this;
  }

  /** JVM options for the server, e.g. {@code -Xmx128m}. */
  TestLayout jvm(String... options) {
    this.jvmOptions = List.of(options);
    return this;
  }

  /** Runs the server under this descriptor limit (soft and hard). */
  TestLayout openFiles(int limit) {
    this.openFiles = limit;
    return this;
  }

  Path write() throws IOException {
    String yaml =
        """
        hostname: mail.example.test
        domains: [example.test]
        data_dir: %s
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.1, port: %d, role: primary }
          - { preference: 30, host: mx2.example.test, address: 127.0.0.1, port: %d, role: trap }
          - { preference: 40, host: mx3.example.test, address: 127.0.0.1, port: %d, role: trap }
        listen: ["127.0.0.1:%d", "127.0.0.1:%d", "127.0.0.1:%d"]
        admin: { bind: "127.0.0.1:%d"%s }
        """
                .formatted(
                    dataDir, primary, trap30, trap40, primary, trap30, trap40, admin, adminKeys)
            + limits
            + tls
            // No reverse names: a test server never asks the machine's resolver.
            + (extra.contains("dns:") ? "" : "dns: { ptr_budget: 0s }\n")
            + extra;
    Path file = dir.resolve("mxtrap.yml");
    Files.writeString(file, yaml);
    return file;
  }

  /** The Maildir {@code new/} directory of {@code localPart@example.test}. */
  Path inbox(String localPart) {
    return dataDir.resolve("mail").resolve("example.test").resolve(localPart).resolve("new");
  }

  MxtrapProcess start() throws IOException {
    return MxtrapProcess.start(
        write(), dir.resolve("mxtrap.log"), primary, probeFrom, jvmOptions, openFiles);
  }

  /**
   * More keys of the {@code admin} section, as a YAML flow map's entries: {@code metrics: false}.
   */
  TestLayout admin(String flowEntries) {
    this.adminKeys += ", " + flowEntries;
    return this;
  }
}
