package org.mxtrap.dns.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;

/** What {@code mxtrap dns plan} prints for a layout, and the layouts it refuses to publish. */
class ZonePlanTest {

  private static LayoutEntry entry(int preference, String host, String address, Role role) {
    return entry(preference, host, address, 25, role);
  }

  private static LayoutEntry entry(
      int preference, String host, String address, int port, Role role) {
    return new LayoutEntry(preference, host, IpLiterals.parseAddress(address), port, role);
  }

  /** PRODUCT.md's layout, the primary on both families. */
  private static final Layout PRODUCT =
      new Layout(
          List.of(
              entry(10, "mail.example.com", "192.0.2.10", Role.PRIMARY),
              entry(10, "mail.example.com", "2001:db8::10", Role.PRIMARY),
              entry(20, "mx1.example.com", "198.51.100.5", Role.BACKUP),
              entry(30, "mx2.example.com", "192.0.2.30", Role.TRAP),
              entry(40, "mx3.example.com", "192.0.2.40", Role.TRAP)));

  private static String zone(ZonePlan.Outcome o) {
    assertThat(o).isInstanceOf(ZonePlan.Zone.class);
    return ((ZonePlan.Zone) o).text();
  }

  private static List<String> refusal(ZonePlan.Outcome o) {
    assertThat(o).isInstanceOf(ZonePlan.Refusal.class);
    return ((ZonePlan.Refusal) o).reasons();
  }

  @Test
  void mxRecordsPerDomainThenOneAddressRecordPerHostAndAddress() {
    assertThat(
            zone(
                ZonePlan.plan(
                    PRODUCT,
                    List.of("example.com", "example.org"),
                    ZonePlan.DEFAULT_TTL,
                    "/etc/mxtrap/mxtrap.yml")))
        .isEqualTo(
            """
            ; MX layout of example.com, example.org, from /etc/mxtrap/mxtrap.yml (mxtrap dns plan)
            ;
            ; Paste the MX records into the zone of each domain and the A and AAAA records into the zone
            ; that holds each host name. Every record carries its own TTL (3600 s) rather than a $TTL line,
            ; so pasting changes no other record of the zone. Roles are in these comments only: nothing
            ; published tells a trap from the primary. Once published, verify with: mxtrap dns check

            ; MX records of example.com
            example.com.      3600 IN MX   10 mail.example.com. ; primary
            example.com.      3600 IN MX   20 mx1.example.com.  ; backup
            example.com.      3600 IN MX   30 mx2.example.com.  ; trap
            example.com.      3600 IN MX   40 mx3.example.com.  ; trap

            ; MX records of example.org
            example.org.      3600 IN MX   10 mail.example.com. ; primary
            example.org.      3600 IN MX   20 mx1.example.com.  ; backup
            example.org.      3600 IN MX   30 mx2.example.com.  ; trap
            example.org.      3600 IN MX   40 mx3.example.com.  ; trap

            ; addresses of the MX hosts
            mail.example.com. 3600 IN A    192.0.2.10           ; primary
            mail.example.com. 3600 IN AAAA 2001:db8::10         ; primary
            mx1.example.com.  3600 IN A    198.51.100.5         ; backup
            mx2.example.com.  3600 IN A    192.0.2.30           ; trap
            mx3.example.com.  3600 IN A    192.0.2.40           ; trap
            """);
  }

  @Test
  void theTtlAsked() {
    String z = zone(ZonePlan.plan(PRODUCT, List.of("example.com"), 300, "x.yml"));
    assertThat(z).contains("its own TTL (300 s)").contains("example.com.      300 IN MX   10");
    assertThat(z.lines().filter(l -> !l.startsWith(";") && !l.isEmpty()))
        .allMatch(l -> l.matches("\\S+ +300 IN .*"));
  }

  @Test
  void twoTrapsOnOneHostNameAndPreferenceAreOneMxRecordWithTwoAddresses() {
    Layout layout =
        new Layout(
            List.of(
                entry(10, "mail.example.com", "192.0.2.10", Role.PRIMARY),
                entry(30, "mx2.example.com", "192.0.2.30", Role.TRAP),
                entry(30, "mx2.example.com", "192.0.2.31", Role.TRAP)));
    String z = zone(ZonePlan.plan(layout, List.of("example.com"), 3600, "x.yml"));
    assertThat(z.lines().filter(l -> l.contains(" IN MX ")).toList()).hasSize(2);
    assertThat(z)
        .containsPattern("(?m)^mx2\\.example\\.com\\. +3600 IN A    192\\.0\\.2\\.30 +; trap$")
        .containsPattern("(?m)^mx2\\.example\\.com\\. +3600 IN A    192\\.0\\.2\\.31 +; trap$");
  }

  // --- refusals ---------------------------------------------------------------------------------

  @Test
  void theDemoLayoutToldApartByPortsIsRefusedWithTheReason() {
    Layout demo =
        new Layout(
            List.of(
                entry(10, "mail.example.test", "127.0.0.1", 2525, Role.PRIMARY),
                entry(30, "mx2.example.test", "127.0.0.1", 2526, Role.TRAP),
                entry(40, "mx3.example.test", "127.0.0.1", 2527, Role.TRAP)));
    assertThat(refusal(ZonePlan.plan(demo, List.of("example.test"), 3600, "demo")))
        .containsExactly(
            "trap MX 30 mx2.example.test has the address 127.0.0.1 of primary MX 10"
                + " mail.example.test; only the ports differ (2526, 2525), and DNS carries no port:"
                + " every sender connects to port 25 of the address. Published, the trap is the"
                + " primary: a sender at one cannot be told from a sender at the other, and the"
                + " trap can never catch anyone. Give every trap an address of its own (a layout"
                + " told apart by ports, like the demo's, serves tests on one machine)",
            "trap MX 40 mx3.example.test has the address 127.0.0.1 of primary MX 10"
                + " mail.example.test; only the ports differ (2527, 2525), and DNS carries no port:"
                + " every sender connects to port 25 of the address. Published, the trap is the"
                + " primary: a sender at one cannot be told from a sender at the other, and the"
                + " trap can never catch anyone. Give every trap an address of its own (a layout"
                + " told apart by ports, like the demo's, serves tests on one machine)");
  }

  @Test
  void aTrapOnTheAddressOfABackupIsRefused() {
    Layout layout =
        new Layout(
            List.of(
                entry(10, "mail.example.com", "192.0.2.10", Role.PRIMARY),
                entry(20, "mx1.example.com", "198.51.100.5", Role.BACKUP),
                entry(30, "mx2.example.com", "198.51.100.5", 2526, Role.TRAP)));
    assertThat(refusal(ZonePlan.plan(layout, List.of("example.com"), 3600, "x")))
        .singleElement()
        .asString()
        .startsWith(
            "trap MX 30 mx2.example.com has the address 198.51.100.5 of backup MX 20"
                + " mx1.example.com; only the ports differ (2526, 25)");
  }

  @Test
  void noPrimaryIsRefused() {
    Layout layout =
        new Layout(
            List.of(
                entry(20, "mx1.example.com", "198.51.100.5", Role.BACKUP),
                entry(30, "mx2.example.com", "192.0.2.30", Role.TRAP)));
    assertThat(refusal(ZonePlan.plan(layout, List.of("example.com"), 3600, "x")))
        .containsExactly(
            "no entry has role primary: legitimate mail would have nowhere to go, and a trap only"
                + " works above a primary that senders try first");
  }

  @Test
  void aTrapBelowOrBesideAPrimaryOrBackupIsRefused() {
    Layout layout =
        new Layout(
            List.of(
                entry(10, "mail.example.com", "192.0.2.10", Role.PRIMARY),
                entry(5, "mx0.example.com", "192.0.2.5", Role.TRAP),
                entry(20, "mx1.example.com", "198.51.100.5", Role.BACKUP),
                entry(20, "mx2.example.com", "192.0.2.20", Role.TRAP)));
    List<String> reasons = refusal(ZonePlan.plan(layout, List.of("example.com"), 3600, "x"));
    assertThat(reasons).hasSize(2);
    assertThat(reasons.get(0))
        .startsWith(
            "trap MX 5 mx0.example.com has preference 5, lower than primary MX 10"
                + " mail.example.com: senders try lower numbers first");
    assertThat(reasons.get(1))
        .startsWith(
            "trap MX 20 mx2.example.com has preference 20, the same as backup MX 20"
                + " mx1.example.com: senders try lower numbers first and pick among equal ones at"
                + " random (RFC 5321 5.1)");
  }

  @Test
  void aHostNameAtTwoPreferencesIsRefused() {
    Layout layout =
        new Layout(
            List.of(
                entry(10, "mail.example.com", "192.0.2.10", Role.PRIMARY),
                entry(30, "mail.example.com", "192.0.2.30", Role.TRAP)));
    assertThat(refusal(ZonePlan.plan(layout, List.of("example.com"), 3600, "x")))
        .containsExactly(
            "mail.example.com is listed at preferences 10 (primary), 30 (trap): DNS gives a host"
                + " all its addresses at every preference it is listed at, so each of these MX"
                + " records would reach the addresses of the others; give each preference a host"
                + " name of its own");
  }

  @Test
  void noDomainIsRefused() {
    assertThat(refusal(ZonePlan.plan(PRODUCT, List.of(), 3600, "x")))
        .containsExactly("domains is empty: there is no domain to publish MX records for");
  }

  @Test
  void everyReasonAtOnce() {
    Layout layout =
        new Layout(
            List.of(
                entry(20, "mx1.example.com", "198.51.100.5", Role.BACKUP),
                entry(10, "mx2.example.com", "198.51.100.5", 2526, Role.TRAP),
                entry(30, "mx2.example.com", "192.0.2.30", Role.TRAP)));
    assertThat(refusal(ZonePlan.plan(layout, List.of(), 3600, "x")))
        .extracting(r -> r.substring(0, 26))
        .containsExactly(
            "domains is empty: there is",
            "no entry has role primary:",
            "trap MX 10 mx2.example.com",
            "trap MX 10 mx2.example.com",
            "mx2.example.com is listed ");
  }

  // --- warnings ---------------------------------------------------------------------------------

  @Test
  void warningsForPortsUnreachableAddressesAndTellingNames() {
    Layout layout =
        new Layout(
            List.of(
                entry(10, "mail.example.com", "192.0.2.10", 2525, Role.PRIMARY),
                entry(20, "mx1.example.com", "10.1.2.3", Role.BACKUP),
                entry(30, "honeypot.example.com", "127.0.0.30", Role.TRAP),
                entry(40, "mx3.example.com", "fd00::40", Role.TRAP)));
    String z = zone(ZonePlan.plan(layout, List.of("example.com"), 3600, "x"));
    List<String> warnings =
        new ArrayList<>(z.lines().filter(l -> l.startsWith("; warning: ")).toList());
    assertThat(warnings)
        .containsExactly(
            "; warning: MX 10 mail.example.com (primary) is served on port 2525, but senders"
                + " connect to port 25 (DNS carries no port): forward port 25 of 192.0.2.10 to it",
            "; warning: 10.1.2.3 (mx1.example.com) is a private address (RFC 1918): senders on"
                + " the Internet cannot reach it",
            "; warning: 127.0.0.30 (honeypot.example.com) is a loopback address: senders on the"
                + " Internet cannot reach it",
            "; warning: honeypot.example.com contains \"honey\": a name that says trap, spam,"
                + " honey, catch, bait tells spammers which MX to avoid (dns check reports it as"
                + " revealing-name)",
            "; warning: fd00::40 (mx3.example.com) is a unique local address (RFC 4193): senders"
                + " on the Internet cannot reach it");
    // The records are printed all the same: the trap still works, only less well.
    assertThat(z).contains("honeypot.example.com. 3600 IN A    127.0.0.30");
  }

  @Test
  void aWordTheDomainCarriesRevealsNothing() {
    assertThat(RevealingNames.word("mx2.spamtrap.example", "spamtrap.example")).isEmpty();
    assertThat(RevealingNames.word("trap.example.com", "example.com")).contains("trap");
    assertThat(RevealingNames.word("mx2.bait-hosting.net", "example.com")).contains("bait");
    assertThat(RevealingNames.word("catchall.example.com", "example.com")).contains("catch");
    assertThat(RevealingNames.word("mx1.example.com", "example.com")).isEmpty();
    assertThat(RevealingNames.distinguishing("mx1.lists.example.com", "example.com"))
        .isEqualTo("mx1.lists");
    assertThat(RevealingNames.distinguishing("mail.example.com", "lists.example.com"))
        .isEqualTo("mail");
    assertThat(RevealingNames.distinguishing("example.com", "example.com")).isEmpty();
  }
}
