package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mxtrap dns plan} and {@code mxtrap dns check} through the packaged jar against a real DNS
 * server ({@link LoopbackUnbound}): the plan pasted into the zone checks out; zones broken on
 * purpose give every finding; a resolver where nothing answers gives {@code lookup-unknown}. The
 * layout's addresses are distinct loopback addresses that only need to be in the zone: nothing
 * connects to them.
 */
class DnsCheckIT {

  private static final Duration RUN = Duration.ofSeconds(60);

  /** What every zone starts with; the records under test follow. */
  private static final String HEAD =
      """
      $ORIGIN mxtrap.test.
      $TTL 300
      @          IN SOA  ns hostmaster 1 3600 600 86400 60
      @          IN NS   ns
      ns         IN A    127.0.0.1
      """;

  /** The layout's addresses, as the plan publishes them. */
  private static final String ADDRESSES =
      """
      mail       IN A    127.0.0.10
      mail       IN AAAA 2001:db8::10
      mx1        IN A    127.0.0.20
      mx2        IN A    127.0.0.30
      mx3        IN A    127.0.0.40
      """;

  /** A finding line of the table: {@code " CODE SUBJECT: text"}. */
  private static final Pattern FINDING = Pattern.compile("(?m)^    ([a-z-]+) (\\S+): ");

  @TempDir static Path dir;
  private static Path config;

  @BeforeAll
  static void writeConfig() throws Exception {
    config = dir.resolve("mxtrap.yml");
    Files.writeString(
        config,
        """
        domains: [mxtrap.test, lists.mxtrap.test]
        layout:
          - { preference: 10, host: mail.mxtrap.test, address: 127.0.0.10,   role: primary }
          - { preference: 10, host: mail.mxtrap.test, address: "2001:db8::10", role: primary }
          - { preference: 20, host: mx1.mxtrap.test,  address: 127.0.0.20,   role: backup }
          - { preference: 30, host: mx2.mxtrap.test,  address: 127.0.0.30,   role: trap }
          - { preference: 40, host: mx3.mxtrap.test,  address: 127.0.0.40,   role: trap }
        dns: { timeout: 2s, retries: 1 }
        """);
  }

  private static MxtrapProcess.Result mxtrap(Path conf, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--config", conf.toString()));
    return MxtrapProcess.run(RUN, all.toArray(String[]::new));
  }

  private static MxtrapProcess.Result check(LoopbackUnbound dns, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("dns", "check"));
    all.addAll(List.of(args));
    all.addAll(List.of("--resolver", dns.address()));
    return mxtrap(config, all.toArray(String[]::new));
  }

  /** The findings of a table, as {@code "code subject"}. */
  private static Set<String> findings(String output) {
    Set<String> out = new TreeSet<>();
    Matcher m = FINDING.matcher(output);
    while (m.find()) {
      out.add(m.group(1) + " " + m.group(2));
    }
    return out;
  }

  @Test
  void thePlanPastedIntoTheZoneChecksOut() throws Exception {
    MxtrapProcess.Result plan = mxtrap(config, "dns", "plan");
    assertThat(plan.exitCode()).as(plan.output()).isZero();
    assertThat(plan.output())
        .startsWith("; MX layout of mxtrap.test, lists.mxtrap.test, from ")
        .containsPattern(
            "(?m)^mxtrap\\.test\\. +3600 IN MX +10 mail\\.mxtrap\\.test\\. +; primary$")
        .containsPattern("(?m)^mxtrap\\.test\\. +3600 IN MX +20 mx1\\.mxtrap\\.test\\. +; backup$")
        .containsPattern("(?m)^mxtrap\\.test\\. +3600 IN MX +30 mx2\\.mxtrap\\.test\\. +; trap$")
        .containsPattern(
            "(?m)^lists\\.mxtrap\\.test\\. +3600 IN MX +40 mx3\\.mxtrap\\.test\\. +; trap$")
        .containsPattern("(?m)^mail\\.mxtrap\\.test\\. +3600 IN A +127\\.0\\.0\\.10 +; primary$")
        .containsPattern("(?m)^mail\\.mxtrap\\.test\\. +3600 IN AAAA 2001:db8::10 +; primary$")
        .contains("; warning: 127.0.0.30 (mx2.mxtrap.test) is a loopback address");
    try (LoopbackUnbound dns = LoopbackUnbound.serving(dir, "mxtrap.test", HEAD + plan.output())) {
      MxtrapProcess.Result r = check(dns);
      assertThat(r.exitCode()).as(r.output()).isZero();
      assertThat(r.output())
          .startsWith(
              "mxtrap.test: published MX layout against the configured one (asked "
                  + dns.address()
                  + ")\n")
          .containsPattern(
              "(?m)^  MX 30 mx2\\.mxtrap\\.test trap +MX 30 127\\.0\\.0\\.30 +MX 30 127\\.0\\.0\\.30"
                  + " +ok$")
          .containsPattern(
              "(?m)^  MX 10 mail\\.mxtrap\\.test primary +MX 10 127\\.0\\.0\\.10, 2001:db8::10 +MX"
                  + " 10 127\\.0\\.0\\.10, 2001:db8::10 +ok$")
          .contains("mxtrap.test: the layout is published as configured\n")
          .endsWith("lists.mxtrap.test: the layout is published as configured\n")
          .doesNotContain("findings:");

      MxtrapProcess.Result json = check(dns, "lists.mxtrap.test", "--json");
      assertThat(json.exitCode()).as(json.output()).isZero();
      JsonObject o = JsonParser.parseString(json.output()).getAsJsonObject();
      assertThat(o.get("as_configured").getAsBoolean()).isTrue();
      JsonArray domains = o.getAsJsonArray("domains");
      assertThat(domains).hasSize(1);
      JsonObject d = domains.get(0).getAsJsonObject();
      assertThat(d.get("domain").getAsString()).isEqualTo("lists.mxtrap.test");
      assertThat(d.getAsJsonArray("findings")).isEmpty();
      assertThat(d.getAsJsonArray("rows")).hasSize(4);
      for (JsonElement row : d.getAsJsonArray("rows")) {
        JsonObject each = row.getAsJsonObject();
        assertThat(each.getAsJsonArray("verdict")).isEmpty();
        assertThat(each.getAsJsonObject("found").get("preference"))
            .isEqualTo(each.getAsJsonObject("expected").get("preference"));
      }
    }
  }

  @Test
  void movedMissingAndStrangeRecords() throws Exception {
    String zone =
        HEAD
            + ADDRESSES
            + """
            @          IN MX   10 mail
            @          IN MX   20 mx1
            @          IN MX   15 mx2
            @          IN MX   50 mx.backup-provider.net.
            """;
    try (LoopbackUnbound dns = LoopbackUnbound.serving(dir, "mxtrap.test", zone)) {
      MxtrapProcess.Result r = check(dns, "mxtrap.test");
      assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
      assertThat(findings(r.output()))
          .as(r.output())
          .containsExactlyInAnyOrder(
              "wrong-preference mx2.mxtrap.test",
              "trap-not-highest mx2.mxtrap.test",
              "missing-mx mx3.mxtrap.test",
              "extra-mx mx.backup-provider.net",
              "lookup-unknown mx.backup-provider.net");
      assertThat(r.output())
          .containsPattern(
              "(?m)^  MX 30 mx2\\.mxtrap\\.test trap +MX 30 127\\.0\\.0\\.30 +MX 15 127\\.0\\.0\\.30"
                  + " +wrong-preference, trap-not-highest$")
          .containsPattern(
              "(?m)^  MX 40 mx3\\.mxtrap\\.test trap +MX 40 127\\.0\\.0\\.40 +not published +missing-mx$")
          .containsPattern(
              "(?m)^  \\(not in the layout\\) +- +MX 50 mx\\.backup-provider\\.net A unknown, AAAA unknown"
                  + " +extra-mx, lookup-unknown$")
          .contains("REFUSED")
          .endsWith("mxtrap.test: 5 findings\n");
    }
  }

  @Test
  void addressesThatBreakTheTrap() throws Exception {
    String zone =
        HEAD
            + """
            @          IN MX   10 mail
            @          IN MX   20 mx1
            @          IN MX   30 mx2
            @          IN MX   40 mx3
            mail       IN A    127.0.0.10
            mail       IN AAAA 2001:db8::99
            mx1        IN TXT  "no address here"
            mx2        IN A    127.0.0.10
            mx3        IN CNAME real3
            real3      IN A    127.0.0.40
            """;
    try (LoopbackUnbound dns = LoopbackUnbound.serving(dir, "mxtrap.test", zone)) {
      MxtrapProcess.Result r = check(dns, "mxtrap.test");
      assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
      assertThat(findings(r.output()))
          .as(r.output())
          .containsExactlyInAnyOrder(
              "address-mismatch mail.mxtrap.test",
              "unresolvable-host mx1.mxtrap.test",
              "trap-address-is-primary mx2.mxtrap.test",
              "address-mismatch mx2.mxtrap.test",
              "mx-cname mx3.mxtrap.test");
      assertThat(r.output())
          .contains(
              "address-mismatch mail.mxtrap.test: the layout's 2001:db8::10 is not published;")
          .contains(
              "trap-address-is-primary mx2.mxtrap.test: the trap has the address of a real MX:"
                  + " 127.0.0.10 (primary MX 10 mail.mxtrap.test in the layout)")
          .contains("mx-cname mx3.mxtrap.test: mx3.mxtrap.test is a CNAME for real3.mxtrap.test")
          .containsPattern(
              "(?m)^  MX 20 mx1\\.mxtrap\\.test backup +MX 20 127\\.0\\.0\\.20 +MX 20 \\(no address\\) +unresolvable-host$");
    }
  }

  @Test
  void namesAndPreferencesThatGiveTheTrapAway() throws Exception {
    String zone =
        HEAD
            + ADDRESSES
            + """
            @          IN MX   10 mail
            @          IN MX   20 mx1
            @          IN MX   20 mx2
            @          IN MX   40 honeypot
            honeypot   IN A    127.0.0.40
            """;
    try (LoopbackUnbound dns = LoopbackUnbound.serving(dir, "mxtrap.test", zone)) {
      MxtrapProcess.Result r = check(dns, "mxtrap.test");
      assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
      assertThat(findings(r.output()))
          .as(r.output())
          .containsExactlyInAnyOrder(
              "wrong-preference mx2.mxtrap.test",
              "trap-not-highest mx2.mxtrap.test",
              "trap-shares-preference mx2.mxtrap.test",
              "missing-mx mx3.mxtrap.test",
              "extra-mx honeypot.mxtrap.test",
              "revealing-name honeypot.mxtrap.test");
      assertThat(r.output())
          .contains(
              "trap-shares-preference mx2.mxtrap.test: trap at MX 20 beside backup MX 20"
                  + " mx1.mxtrap.test")
          .contains("revealing-name honeypot.mxtrap.test: the name contains \"honey\"");
    }
  }

  @Test
  void aNullMxPublishesNoMailAtAll() throws Exception {
    String zone = HEAD + ADDRESSES + "@          IN MX   0 .\n";
    try (LoopbackUnbound dns = LoopbackUnbound.serving(dir, "mxtrap.test", zone)) {
      MxtrapProcess.Result r = check(dns, "mxtrap.test", "--json");
      assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
      JsonObject d =
          JsonParser.parseString(r.output())
              .getAsJsonObject()
              .getAsJsonArray("domains")
              .get(0)
              .getAsJsonObject();
      assertThat(d.get("as_configured").getAsBoolean()).isFalse();
      List<String> codes = new ArrayList<>();
      for (JsonElement f : d.getAsJsonArray("findings")) {
        codes.add(f.getAsJsonObject().get("code").getAsString());
      }
      assertThat(codes)
          .containsExactly("missing-mx", "missing-mx", "missing-mx", "missing-mx", "null-mx");
      JsonObject nullRow = d.getAsJsonArray("rows").get(4).getAsJsonObject();
      assertThat(nullRow.get("expected").isJsonNull()).isTrue();
      assertThat(nullRow.getAsJsonObject("found").get("host").getAsString()).isEqualTo(".");
      assertThat(nullRow.getAsJsonArray("verdict").get(0).getAsString()).isEqualTo("null-mx");
    }
  }

  @Test
  void aResolverWhereNothingAnswersIsUnknownNotMissing() throws Exception {
    Path quick = dir.resolve("quick.yml");
    Files.writeString(
        quick,
        Files.readString(config)
            .replace("dns: { timeout: 2s, retries: 1 }", "dns: { timeout: 300ms, retries: 0 }"));
    try (DatagramSocket silent =
        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      String address = "127.0.0.1:" + silent.getLocalPort();
      MxtrapProcess.Result r = mxtrap(quick, "dns", "check", "--resolver", address);
      assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
      assertThat(findings(r.output()))
          .containsExactly("lookup-unknown lists.mxtrap.test", "lookup-unknown mxtrap.test");
      assertThat(r.output())
          .containsPattern(
              "(?m)^  MX 10 mail\\.mxtrap\\.test primary +MX 10 127\\.0\\.0\\.10, 2001:db8::10 +unknown +lookup-unknown$")
          .contains("no answer within 300ms")
          .doesNotContain("missing-mx")
          .endsWith("lists.mxtrap.test: 1 finding\n");
    }
  }

  @Test
  void theDemoLayoutToldApartByPortsIsRefused() throws Exception {
    Path demo = dir.resolve("demo.yml");
    Files.writeString(
        demo,
        """
        domains: [example.test]
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.1, port: 2525, role: primary }
          - { preference: 30, host: mx2.example.test,  address: 127.0.0.1, port: 2526, role: trap }
          - { preference: 40, host: mx3.example.test,  address: 127.0.0.1, port: 2527, role: trap }
        listen: ["127.0.0.1:2525", "127.0.0.1:2526", "127.0.0.1:2527"]
        """);
    MxtrapProcess.Result r = mxtrap(demo, "dns", "plan");
    assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
    assertThat(r.output())
        .startsWith("mxtrap dns plan: no records printed: the layout would not work as a trap (")
        .contains(
            "trap MX 30 mx2.example.test has the address 127.0.0.1 of primary MX 10"
                + " mail.example.test; only the ports differ (2526, 2525), and DNS carries no port")
        .contains("trap MX 40 mx3.example.test has the address 127.0.0.1")
        .doesNotContain(" IN MX ");
  }

  @Test
  void usageErrorsExit2() throws Exception {
    MxtrapProcess.Result bare = MxtrapProcess.run(RUN, "dns");
    assertThat(bare.exitCode()).isEqualTo(2);
    assertThat(bare.output()).contains("Missing subcommand: plan or check");
    MxtrapProcess.Result badName = mxtrap(config, "dns", "check", "bad..name");
    assertThat(badName.exitCode()).isEqualTo(2);
    assertThat(badName.output()).contains("not a valid domain name: bad..name");
    MxtrapProcess.Result badResolver =
        mxtrap(config, "dns", "check", "--resolver", "ns.example.com");
    assertThat(badResolver.exitCode()).isEqualTo(2);
    assertThat(badResolver.output()).contains("--resolver: not an IP address: ns.example.com");
    MxtrapProcess.Result badTtl = mxtrap(config, "dns", "plan", "--ttl", "-1");
    assertThat(badTtl.exitCode()).isEqualTo(2);
    MxtrapProcess.Result missing = MxtrapProcess.run(RUN, "dns", "plan", "--config", "nope.yml");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.output()).contains("nope.yml: no such file");
    MxtrapProcess.Result help = MxtrapProcess.run(RUN, "dns", "check", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.output())
        .contains("Usage: mxtrap dns check")
        .contains("--resolver=HOST[:PORT]")
        .contains("--json")
        .contains("trap-shares-preference");
  }
}
