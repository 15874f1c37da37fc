package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mxtrap mx} through the packaged jar against a real DNS server: Debian's unbound, started
 * here on a free loopback port, serving a zone this test writes (an auth-zone; every name outside
 * it is refused, so nothing is ever asked of the Internet). Plus a resolver address where nothing
 * answers. unbound ({@link LoopbackUnbound}) is stopped by its PID after the class.
 */
class DnsMxIT {

  private static final Duration RUN = Duration.ofSeconds(60);

  /** The zone: every rule of RFC 5321 5.1 that {@code mx} reports, as a sender meets it. */
  private static final String ZONE =
      """
      $ORIGIN mxtrap.test.
      $TTL 300
      @          IN SOA  ns hostmaster 1 3600 600 86400 60
      @          IN NS   ns
      ns         IN A    127.0.0.1
      ; three MX of equal preference, a CNAME target, an address literal
      eq         IN MX   10 a.eq
      eq         IN MX   10 b.eq
      eq         IN MX   10 c.eq
      eq         IN MX   20 alias
      eq         IN MX   30 192.0.2.9.
      a.eq       IN A    192.0.2.1
      b.eq       IN A    192.0.2.2
      b.eq       IN AAAA 2001:db8::2
      c.eq       IN AAAA 2001:db8::3
      alias      IN CNAME real
      real       IN A    192.0.2.4
      ; a null MX (RFC 7505): no mail at all, though it has an address
      nomail     IN MX   0 .
      nomail     IN A    192.0.2.5
      ; no MX: the domain itself is the MX
      implicit   IN A    192.0.2.7
      implicit   IN AAAA 2001:db8::7
      ; MX hosts without any address
      noaddr     IN MX   10 missing
      ; a trap layout: primary, backup, two traps
      trap       IN MX   10 mail.trap
      trap       IN MX   20 mx1.trap
      trap       IN MX   30 mx2.trap
      trap       IN MX   40 mx3.trap
      mail.trap  IN A    192.0.2.10
      mx1.trap   IN A    198.51.100.5
      mx2.trap   IN A    192.0.2.30
      mx3.trap   IN A    192.0.2.40
      """;

  @TempDir static Path dir;
  private static LoopbackUnbound unbound;
  private static String resolver;
  private static Path config;

  @BeforeAll
  static void startUnbound() throws Exception {
    unbound = LoopbackUnbound.serving(dir, "mxtrap.test", ZONE);
    resolver = unbound.address();
    config = dir.resolve("mxtrap.yml");
    Files.writeString(
        config,
        """
        domains: [mxtrap.test]
        layout:
          - { preference: 10, host: mail.trap.mxtrap.test, address: 127.0.0.1, role: primary }
        dns: { timeout: 2s, retries: 1 }
        """);
  }

  @AfterAll
  static void stopUnbound() throws InterruptedException {
    if (unbound != null) {
      unbound.close();
    }
  }

  private static MxtrapProcess.Result mx(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("mx"));
    all.addAll(List.of(args));
    all.addAll(List.of("--config", config.toString()));
    return MxtrapProcess.run(RUN, all.toArray(String[]::new));
  }

  @Test
  void equalPreferencesFirstInRandomOrderThenTheCnameThenTheLiteral() throws Exception {
    Set<String> firstThree = new HashSet<>();
    for (int run = 0; run < 8; run++) {
      MxtrapProcess.Result r = mx("eq.mxtrap.test", "--resolver", resolver);
      assertThat(r.exitCode()).as(r.output()).isZero();
      List<String> lines = r.output().lines().toList();
      assertThat(lines.get(0)).isEqualTo("eq.mxtrap.test: delivery order (RFC 5321 section 5.1)");
      List<String> tens = lines.subList(1, 4);
      assertThat(tens).allMatch(l -> l.startsWith("  MX 10 "));
      assertThat(String.join("\n", tens))
          .containsPattern("a\\.eq\\.mxtrap\\.test +192\\.0\\.2\\.1\\b")
          .containsPattern("b\\.eq\\.mxtrap\\.test +192\\.0\\.2\\.2, 2001:db8::2")
          .containsPattern("c\\.eq\\.mxtrap\\.test +2001:db8::3");
      assertThat(lines.get(4)).matches("  MX 20 +alias\\.mxtrap\\.test +192\\.0\\.2\\.4");
      assertThat(lines.get(5))
          .contains("cname-target: alias.mxtrap.test is a CNAME for real.mxtrap.test");
      assertThat(lines.get(6)).matches("  MX 30 +192\\.0\\.2\\.9 +192\\.0\\.2\\.9");
      assertThat(lines.get(7)).contains("address-literal: 192.0.2.9 is an IP address");
      firstThree.add(String.join("|", tens.stream().map(l -> l.trim().split(" +")[2]).toList()));
    }
    // 8 runs all in one order of 6 would happen once in 6^7 (about 280,000) runs of this test.
    assertThat(firstThree).as("equal preferences are shuffled").hasSizeGreaterThan(1);
  }

  @Test
  void jsonForPrograms() throws Exception {
    MxtrapProcess.Result r = mx("eq.mxtrap.test", "--resolver", resolver, "--json");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output().strip())
        .startsWith("{\"domain\":\"eq.mxtrap.test\",\"result\":\"ordered\",\"hosts\":[")
        .contains(
            "{\"preference\":20,\"host\":\"alias.mxtrap.test\",\"addresses\":[\"192.0.2.4\"],"
                + "\"notes\":[{\"kind\":\"cname-target\",")
        .contains(
            "{\"preference\":10,\"host\":\"c.eq.mxtrap.test\",\"addresses\":[\"2001:db8::3\"]")
        .endsWith("\"notes\":[]}");
  }

  @Test
  void aNullMxDomainAcceptsNoMail() throws Exception {
    MxtrapProcess.Result r = mx("nomail.mxtrap.test", "--resolver", resolver);
    assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
    assertThat(r.output())
        .startsWith(
            "nomail.mxtrap.test: no delivery (null-mx, permanent): the domain accepts no mail")
        .contains("note null-mx: the only MX record is \"MX 0 .\"");
  }

  @Test
  void withoutMxTheDomainIsItsOwnMx() throws Exception {
    MxtrapProcess.Result r = mx("implicit.mxtrap.test", "--resolver", resolver);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output())
        .containsPattern("  MX 0 +implicit\\.mxtrap\\.test +192\\.0\\.2\\.7, 2001:db8::7")
        .contains("note implicit-mx: no MX records");
  }

  @Test
  void noSuchDomainAndNoAddressArePermanent() throws Exception {
    MxtrapProcess.Result gone = mx("nothere.mxtrap.test", "--resolver", resolver);
    assertThat(gone.exitCode()).isEqualTo(1);
    assertThat(gone.output())
        .startsWith("nothere.mxtrap.test: no delivery (no-such-domain, permanent)");
    MxtrapProcess.Result noaddr = mx("noaddr.mxtrap.test", "--resolver", resolver);
    assertThat(noaddr.exitCode()).isEqualTo(1);
    assertThat(noaddr.output())
        .startsWith("noaddr.mxtrap.test: no delivery (no-address, permanent)")
        .contains("no-address: no A or AAAA record (A NXDOMAIN, AAAA NXDOMAIN)");
  }

  @Test
  void aBackupForwardsOnlyToBetterMxHostsAndTheTrapsAreNotAmongThem() throws Exception {
    MxtrapProcess.Result r = mx("trap.mxtrap.test", "--resolver", resolver, "--self", "192.0.2.30");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output())
        .containsPattern("  MX 10 +mail\\.trap\\.mxtrap\\.test +192\\.0\\.2\\.10")
        .containsPattern("  MX 20 +mx1\\.trap\\.mxtrap\\.test +198\\.51\\.100\\.5")
        .doesNotContainPattern("(?m)^  MX 30")
        .doesNotContainPattern("(?m)^  MX 40")
        .contains("note self: this host is MX 30 (by address 192.0.2.30 of mx2.trap.mxtrap.test)");
    MxtrapProcess.Result primary =
        mx("trap.mxtrap.test", "--resolver", resolver, "--self", "mail.trap.mxtrap.test");
    assertThat(primary.exitCode()).isEqualTo(1);
    assertThat(primary.output()).contains("no delivery (loops-back, permanent)");
  }

  @Test
  void aRefusingResolverIsUnknownNotNotFound() throws Exception {
    MxtrapProcess.Result r = mx("example.com", "--resolver", resolver);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.output())
        .startsWith(
            "example.com: no delivery (unknown, temporary): the MX lookup could not be made")
        .contains("REFUSED");
  }

  @Test
  void aResolverThatNeverAnswersIsATimeoutNotNotFound() throws Exception {
    Path quick = dir.resolve("quick.yml");
    Files.writeString(
        quick,
        Files.readString(config)
            .replace("dns: { timeout: 2s, retries: 1 }", "dns: { timeout: 300ms, retries: 1 }"));
    try (DatagramSocket silent =
        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      String address = "127.0.0.1:" + silent.getLocalPort();
      MxtrapProcess.Result r =
          MxtrapProcess.run(
              RUN, "mx", "eq.mxtrap.test", "--resolver", address, "--config", quick.toString());
      assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
      assertThat(r.output())
          .isEqualTo(
              "eq.mxtrap.test: no delivery (unknown, temporary): the MX lookup could not be made:"
                  + " unknown, TIMEOUT: MX eq.mxtrap.test: "
                  + address
                  + ": no answer within 300ms (2 tries)\n");
    }
  }

  @Test
  void usageErrorsExit2() throws Exception {
    assertThat(MxtrapProcess.run(RUN, "mx").exitCode()).isEqualTo(2);
    MxtrapProcess.Result badName = mx("bad..name");
    assertThat(badName.exitCode()).isEqualTo(2);
    assertThat(badName.output()).contains("not a valid domain name: bad..name");
    MxtrapProcess.Result badResolver = mx("mxtrap.test", "--resolver", "ns.example.com");
    assertThat(badResolver.exitCode()).isEqualTo(2);
    assertThat(badResolver.output()).contains("--resolver: not an IP address: ns.example.com");
    MxtrapProcess.Result help = MxtrapProcess.run(RUN, "mx", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.output())
        .contains("Usage: mxtrap mx")
        .contains("--resolver=HOST[:PORT]")
        .contains("--json")
        .contains("--config");
  }
}
