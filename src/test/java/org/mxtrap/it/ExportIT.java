package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mxtrap.testing.FreePorts;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The exports of trapped addresses as the tools that read them see them: Debian's nft checks the
 * nft export, ipset restores the ipset export in a private network namespace, and a real rbldnsd
 * serves the file {@code export.file} keeps current, whose {@code on_change} runs after a new
 * suppression.
 */
class ExportIT extends ServerPerClass {
  static final Duration CLI = Duration.ofSeconds(60);
  static final Duration DEBOUNCE = Duration.ofSeconds(1);

  Path config;
  Path zone;
  Path runs;

  @Override
  TestLayout layout(Path dir) throws Exception {
    zone = dir.resolve("export").resolve("trapped.zone");
    runs = dir.resolve("runs");
    return new TestLayout(dir)
        .extra(
            """
            export:
              format: rbldnsd
              file: %s
              on_change: [sh, -c, 'echo written >> "$0"', %s]
              debounce: 1s
            """
                .formatted(zone, runs));
  }

  @BeforeAll
  void addSuppressions() throws Exception {
    config = layout.dir.resolve("mxtrap.yml");
    await("the export at start and its command", () -> runCount() >= 1);
    for (String a : List.of("192.0.2.7", "198.51.100.0/24", "2001:db8::7", "2001:db8:1::/48")) {
      MxtrapProcess.Result add = mxtrap("suppressions", "add", a, "--for", "2h");
      assertThat(add.exitCode()).as(add.output()).isZero();
    }
  }

  MxtrapProcess.Result mxtrap(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--config");
    all.add(config.toString());
    return MxtrapProcess.run(CLI, all.toArray(String[]::new));
  }

  int runCount() throws IOException {
    return Files.exists(runs) ? Files.readAllLines(runs).size() : 0;
  }

  /** Polls {@code condition} until it holds, failing after 30 s. */
  static void await(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.call()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(20); // polls a condition; orders nothing
    }
  }

  @Test
  void onChangeRunsAfterANewSuppressionWithinTheDebounce() throws Exception {
    await("all four exported", () -> Files.readString(zone).contains("2001:db8:1::/48 manual"));
    int before = runCount();
    long added = System.nanoTime();
    assertThat(mxtrap("suppressions", "add", "203.0.113.9").exitCode()).isZero();
    await("the command after the new suppression", () -> runCount() > before);
    assertThat(Files.readString(zone)).contains("203.0.113.9 manual until ");
    // Within the debounce, plus the CLI's own start and the command: generously bounded.
    assertThat(Duration.ofNanos(System.nanoTime() - added)).isLessThan(DEBOUNCE.plusSeconds(20));

    assertThat(mxtrap("suppressions", "remove", "203.0.113.9").exitCode()).isZero();
    await("the removal exported", () -> !Files.readString(zone).contains("203.0.113.9"));
  }

  @Test
  void rbldnsdAnswersForATrappedAddressAndNxdomainForAnother() throws Exception {
    await("all four exported", () -> Files.readString(zone).contains("2001:db8:1::/48 manual"));
    try (LoopbackRbldnsd dnsbl = LoopbackRbldnsd.serving(zone, "bl.test")) {
      assertThat(dnsbl.a("192.0.2.7")).isEqualTo("127.0.0.2");
      assertThat(dnsbl.txt("192.0.2.7")).startsWith("manual until ");
      assertThat(dnsbl.a("198.51.100.200")).as("in a network").isEqualTo("127.0.0.2");
      assertThat(dnsbl.a("2001:db8::7")).isEqualTo("127.0.0.2");
      assertThat(dnsbl.a("2001:db8:1:2::3")).as("in an IPv6 network").isEqualTo("127.0.0.2");
      assertThat(dnsbl.a("192.0.2.8")).isNull();
      assertThat(dnsbl.a("2001:db8::8")).isNull();
    }
  }

  @Test
  void nftChecksTheNftExportAndARulesetThatUsesIt() throws Exception {
    Path nft = Programs.require("nft", "nftables");
    canRun("nft", List.of(nft.toString(), "-c", "-f", "-"), "table inet t { }\n");
    Path out = layout.dir.resolve("trapped.nft");
    MxtrapProcess.Result export =
        mxtrap("suppressions", "export", "--format", "nft", "--output", out.toString());
    assertThat(export.exitCode()).as(export.output()).isZero();
    assertThat(Files.readString(out)).contains("192.0.2.7,", "198.51.100.0/24", "2001:db8:1::/48");
    assertThat(run(List.of(nft.toString(), "-c", "-f", out.toString()), "")).isEmpty();
    // The ruleset of docs/configuration.md, after the export: a chain of the same table.
    String ruleset =
        Files.readString(out)
            + "table inet mxtrap { chain smtp { type filter hook input priority -10;"
            + " tcp dport 25 ip saddr @trapped4 drop; tcp dport 25 ip6 saddr @trapped6 drop; }; }\n";
    assertThat(run(List.of(nft.toString(), "-c", "-f", "-"), ruleset)).isEmpty();
  }

  /** ipset has no check mode: the sets are restored, twice, in a network namespace of their own. */
  @Test
  void ipsetRestoresTheIpsetExportTwiceInAPrivateNetworkNamespace() throws Exception {
    Path ipset = Programs.require("ipset", "ipset");
    Path unshare = Programs.require("unshare", "util-linux");
    canRun("unshare -n ipset", List.of(unshare.toString(), "-n", ipset.toString(), "list"), "");
    Path out = layout.dir.resolve("trapped.ipset");
    assertThat(
            mxtrap("suppressions", "export", "--format", "ipset", "--output", out.toString())
                .exitCode())
        .isZero();
    String listed =
        run(
            List.of(
                unshare.toString(),
                "-n",
                "sh",
                "-c",
                "\"$0\" restore -f \"$1\" && \"$0\" restore -f \"$1\" && \"$0\" list",
                ipset.toString(),
                out.toString()),
            "");
    assertThat(listed)
        .contains("Name: mxtrap-trapped4", "192.0.2.7", "198.51.100.0/24")
        .contains("Name: mxtrap-trapped6", "2001:db8::7", "2001:db8:1::/48")
        .doesNotContain("mxtrap-trapped4-new");
  }

  @Test
  void csvHasAHeaderAndALinePerSuppression() throws Exception {
    MxtrapProcess.Result csv = mxtrap("suppressions", "export", "--format", "csv");
    assertThat(csv.exitCode()).as(csv.output()).isZero();
    assertThat(csv.output())
        .startsWith("address,since,until,reason,offences\r\n")
        .containsPattern("\r\n192\\.0\\.2\\.7,[^,]+Z,[^,]+Z,manual,1\r\n");
    MxtrapProcess.Result bad = mxtrap("suppressions", "export", "--format", "pf");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.output()).contains("pf is none of nft, ipset, rbldnsd, csv");
  }

  /** Skips loudly (fails under CI=true) when {@code command} cannot run on this machine. */
  static void canRun(String what, List<String> command, String input) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      String msg = "*** " + what + " cannot run here (" + output.strip() + "): test skipped ***";
      if ("true".equals(System.getenv("CI"))) {
        fail(msg);
      }
      System.err.println(msg);
      Assumptions.abort(msg);
    }
  }

  /** Runs {@code command} with {@code input}; its output, failing the test unless it exits 0. */
  static String run(List<String> command, String input) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(String.join(" ", command) + ":\n" + output).isZero();
    return output;
  }

  /**
   * Debian's rbldnsd serving one combined dataset file as a zone on a free loopback port (UDP), in
   * the foreground, stopped by its PID. As root it must drop to a user: nobody, chrooted into the
   * file's directory (which nobody can read while its parents may not be).
   */
  static final class LoopbackRbldnsd implements AutoCloseable {
    private final Process process;
    private final SimpleResolver resolver;
    private final String zone;

    private LoopbackRbldnsd(Process process, int port, String zone) throws IOException {
      this.process = process;
      this.resolver = new SimpleResolver(InetAddress.getLoopbackAddress());
      resolver.setPort(port);
      resolver.setTimeout(Duration.ofSeconds(5));
      this.zone = zone;
    }

    static LoopbackRbldnsd serving(Path file, String zone) throws Exception {
      Path bin = Programs.require("rbldnsd", "rbldnsd");
      int port = FreePorts.next();
      List<String> command =
          new ArrayList<>(List.of(bin.toString(), "-n", "-b", "127.0.0.1/" + port));
      if ("root".equals(System.getProperty("user.name"))) {
        command.addAll(List.of("-u", "nobody", "-r", file.getParent().toString()));
        command.add(zone + ":combined:" + file.getFileName());
      } else {
        command.add(zone + ":combined:" + file);
      }
      Path log = file.resolveSibling("../rbldnsd.log").normalize();
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      LoopbackRbldnsd r = new LoopbackRbldnsd(p, port, zone);
      try {
        await(
            "rbldnsd started",
            () -> {
              if (!p.isAlive()) {
                throw new IllegalStateException("rbldnsd exited:\n" + Files.readString(log));
              }
              return Files.readString(log).contains(" started ");
            });
      } catch (Exception | AssertionError e) {
        r.close();
        throw e;
      }
      return r;
    }

    /** The A answer for {@code address}; null for NXDOMAIN. */
    String a(String address) throws IOException {
      Message m = ask(address, Type.A);
      return m.getRcode() == Rcode.NXDOMAIN
          ? null
          : m.getSection(Section.ANSWER).getFirst().rdataToString();
    }

    String txt(String address) throws IOException {
      return ask(address, Type.TXT)
          .getSection(Section.ANSWER)
          .getFirst()
          .rdataToString()
          .replace("\"", "");
    }

    private Message ask(String address, int type) throws IOException {
      // 7.2.0.192.in-addr.arpa. -> 7.2.0.192.ZONE. (IPv6: nibbles, from ip6.arpa.)
      Name name =
          Name.fromString(
              ReverseMap.fromAddress(address)
                  .toString()
                  .replaceFirst("(in-addr|ip6)\\.arpa\\.$", zone + "."));
      Message m = resolver.send(Message.newQuery(Record.newRecord(name, type, DClass.IN)));
      assertThat(m.getRcode())
          .as(name + " " + Rcode.string(m.getRcode()))
          .isIn(Rcode.NOERROR, Rcode.NXDOMAIN);
      return m;
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor();
      }
    }
  }
}
