package org.mxtrap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.ConfigException.Problem;
import org.mxtrap.config.DnsblSettings.OnUnknown;
import org.mxtrap.config.DnsblSettings.Zone;
import org.mxtrap.core.Cidr;

/** The {@code dnsbl} section and {@code dns.ptr_budget}: values, defaults, every error at once. */
class DnsblConfigTest {

  @TempDir Path dir;

  static final String MINIMAL =
      """
      domains: [example.com]
      layout:
        - { preference: 10, host: mail.example.com, address: 192.0.2.10, role: primary }
      """;

  private Path write(String extra) throws IOException {
    Path f = dir.resolve("mxtrap.yml");
    Files.writeString(f, MINIMAL + extra);
    return f;
  }

  private MxtrapConfig load(String extra) throws Exception {
    return ConfigLoader.load(write(extra));
  }

  private List<String> problems(String extra) throws IOException {
    Path f = write(extra);
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(f));
    assertThat(e).as("expected a ConfigException").isNotNull();
    return e.problems().stream()
        .map(Problem::toString)
        .map(p -> p.substring((f + ":").length()))
        .toList();
  }

  @Test
  void withoutTheKeyNoZonesAndReverseNamesWithinTwoSeconds() throws Exception {
    MxtrapConfig c = load("");
    assertThat(c.dnsbl()).isEqualTo(DnsblSettings.NONE);
    assertThat(c.dnsbl().enabled()).isFalse();
    assertThat(c.dns().ptrBudget()).isEqualTo(Duration.ofSeconds(2));
    assertThat(load("dnsbl: {}\n").dnsbl()).isEqualTo(DnsblSettings.NONE);
    assertThat(load("dnsbl: { zones: [] }\n").dnsbl().enabled()).isFalse();
  }

  @Test
  void everyKeyOfAZone() throws Exception {
    MxtrapConfig c =
        load(
            """
            dnsbl:
              zones:
                - { zone: Zen.Example-BL.test., weight: 1.5, on_unknown: closed,
                    codes: [127.0.0.2, 127.0.0.4/30] }
                - { zone: b.example-bl.test }
                - plain.example-bl.test
              threshold: 2.5
              timeout: 500ms
            dns: { ptr_budget: 0s }
            """);
    assertThat(c.dnsbl())
        .isEqualTo(
            new DnsblSettings(
                List.of(
                    new Zone(
                        "zen.example-bl.test",
                        1.5,
                        OnUnknown.CLOSED,
                        List.of(Cidr.parse("127.0.0.2/32"), Cidr.parse("127.0.0.4/30"))),
                    Zone.of("b.example-bl.test"),
                    Zone.of("plain.example-bl.test")),
                2.5,
                Duration.ofMillis(500)));
    assertThat(c.dns().reverseNames()).isFalse();
    assertThat(c.describe())
        .contains("ptr_budget=0s (no reverse names)")
        .contains(
            "dnsbl: threshold=2.5 timeout=500ms zones=zen.example-bl.test*1.5 (closed)"
                + "=127.0.0.2/32, 127.0.0.4/30, b.example-bl.test*1, plain.example-bl.test*1");
  }

  @Test
  void everyProblemIsReportedWithItsLineAndKey() throws Exception {
    assertThat(
            problems(
                """
                dnsbl:
                  zones:
                    - { zone: "bad..zone", weight: 0 }
                    - { weight: -1, on_unknown: maybe }
                    - { zone: c.test, weight: "1", codes: [192.0.2.1, 127.255.255.254, "::1"] }
                    - { zone: d.test, codes: [] }
                    - { zone: d.test, wieght: 1 }
                    - [x]
                  threshold: 0
                  timeout: 2m
                dns: { ptr_budget: 61s }
                """))
        .containsExactly(
            "6: dnsbl.zones[0].zone: not a valid domain name: bad..zone (empty label)",
            "6: dnsbl.zones[0].weight: must be positive, got 0",
            "7: dnsbl.zones[1].zone: required key is missing",
            "7: dnsbl.zones[1].weight: must be positive, got -1",
            "7: dnsbl.zones[1].on_unknown: expected one of open, closed, got maybe",
            "8: dnsbl.zones[2].weight: expected a number like 1 or 0.5, got a quoted string \"1\"",
            "8: dnsbl.zones[2].codes[0]: not within 127.0.0.0/8, where every DNSBL answer lies:"
                + " 192.0.2.1",
            "8: dnsbl.zones[2].codes[1]: 127.255.255.254 is among the codes lists use to refuse a"
                + " query (127.255.255.0/24), which never count as a listing",
            "8: dnsbl.zones[2].codes[2]: not within 127.0.0.0/8, where every DNSBL answer lies:"
                + " ::1",
            "9: dnsbl.zones[3].codes: must list at least one code; remove the key to count every"
                + " listing answer",
            "10: dnsbl.zones[4].wieght: unknown key (did you mean weight?)",
            "11: dnsbl.zones[5]: expected a mapping like { zone: zen.example-bl.test, weight: 1.0 }"
                + " or a zone name, got a list",
            "12: dnsbl.threshold: must be positive, got 0",
            "13: dnsbl.timeout: at most 1m (the client waits this long for its greeting), got 2m",
            "14: dns.ptr_budget: at most 1m (the client waits this long for its greeting), got"
                + " 61s");
  }

  @Test
  void aZoneListedTwiceOrTooLongForAnIpv6Query() throws Exception {
    assertThat(problems("dnsbl: { zones: [a.test, A.test.] }\n"))
        .containsExactly("4: dnsbl.zones[1]: zone listed twice: a.test");
    String longZone = ("x".repeat(61) + ".").repeat(3) + "tst"; // 189 characters: fits
    assertThat(load("dnsbl: { zones: [" + longZone + "] }\n").dnsbl().zones()).hasSize(1);
    String tooLong = longZone + "x";
    assertThat(problems("dnsbl: { zones: [" + tooLong + "] }\n"))
        .containsExactly(
            "4: dnsbl.zones[0]: a zone name is at most 189 characters (an IPv6 query puts 64 in"
                + " front of it), got 190");
  }
}
