package org.mxtrap.dns.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.dns.Answer;
import org.mxtrap.dns.layout.Finding.Code;
import org.mxtrap.testing.FakeDns;

/** Every finding of {@code mxtrap dns check}, on canned DNS. */
class LayoutCheckTest {

  private static final String DOMAIN = "example.com";

  private static LayoutEntry entry(int preference, String host, String address, Role role) {
    return new LayoutEntry(preference, host, IpLiterals.parseAddress(address), 25, role);
  }

  /** PRODUCT.md's layout, the primary on both families. */
  private static final Layout LAYOUT =
      new Layout(
          List.of(
              entry(10, "mail.example.com", "192.0.2.10", Role.PRIMARY),
              entry(10, "mail.example.com", "2001:db8::10", Role.PRIMARY),
              entry(20, "mx1.example.com", "198.51.100.5", Role.BACKUP),
              entry(30, "mx2.example.com", "192.0.2.30", Role.TRAP),
              entry(40, "mx3.example.com", "192.0.2.40", Role.TRAP)));

  private final FakeDns dns = new FakeDns();

  /** The layout published as configured; tests change what they break. */
  private FakeDns published() {
    return publishedExcept("");
  }

  /** The layout published as configured, but without address records for {@code host}. */
  private FakeDns publishedExcept(String host) {
    dns.mx(
        DOMAIN,
        "10 mail.example.com",
        "20 mx1.example.com",
        "30 mx2.example.com",
        "40 mx3.example.com");
    List.of(
            List.of("mail.example.com", "192.0.2.10", "2001:db8::10"),
            List.of("mx1.example.com", "198.51.100.5"),
            List.of("mx2.example.com", "192.0.2.30"),
            List.of("mx3.example.com", "192.0.2.40"))
        .stream()
        .filter(a -> !a.get(0).equals(host))
        .forEach(a -> dns.address(a.get(0), a.subList(1, a.size()).toArray(String[]::new)));
    return dns;
  }

  private LayoutReport check() {
    return new LayoutCheck(dns).check(DOMAIN, LAYOUT);
  }

  private static List<String> findings(LayoutReport r) {
    return r.findings().stream().map(f -> f.code().label() + " " + f.subject()).toList();
  }

  private static Finding only(LayoutReport r, Code code) {
    List<Finding> of = r.findings().stream().filter(f -> f.code() == code).toList();
    assertThat(of).as(r.findings().toString()).hasSize(1);
    return of.get(0);
  }

  private static List<String> verdicts(LayoutReport r) {
    return r.rows().stream()
        .map(
            row ->
                (row.expected() == null ? "-" : row.expected().host())
                    + " "
                    + row.verdict().stream().map(Code::label).toList())
        .toList();
  }

  @Test
  void asConfigured() {
    published();
    LayoutReport r = check();
    assertThat(r.asConfigured()).isTrue();
    assertThat(r.findings()).isEmpty();
    assertThat(r.notes()).isEmpty();
    assertThat(r.rows()).hasSize(4).allMatch(row -> row.verdict().isEmpty());
    LayoutReport.Row primary = r.rows().get(0);
    assertThat(primary.expected())
        .isEqualTo(
            new LayoutReport.Expected(
                10,
                "mail.example.com",
                Role.PRIMARY,
                List.of(
                    IpLiterals.parseAddress("192.0.2.10"),
                    IpLiterals.parseAddress("2001:db8::10"))));
    assertThat(primary.published().addresses().stream().map(Addresses::text))
        .containsExactly("192.0.2.10", "2001:db8::10");
    assertThat(primary.published().unknown()).isEmpty();
  }

  @Test
  void theOrderOfPublishedRecordsDoesNotMatter() {
    published()
        .mx(
            DOMAIN,
            "40 mx3.example.com",
            "10 mail.example.com",
            "30 mx2.example.com",
            "20 mx1.example.com");
    assertThat(check().asConfigured()).isTrue();
  }

  @Test
  void missingMx() {
    published().mx(DOMAIN, "10 mail.example.com", "20 mx1.example.com", "30 mx2.example.com");
    LayoutReport r = check();
    assertThat(findings(r)).containsExactly("missing-mx mx3.example.com");
    assertThat(only(r, Code.MISSING_MX).text())
        .isEqualTo("MX 40 mx3.example.com (trap) is not published");
    assertThat(r.rows().get(3).published()).isNull();
    assertThat(dns.asked)
        .as("a host nobody publishes is never looked up")
        .doesNotContain("A mx3.example.com");
  }

  @Test
  void noMxRecordAtAllIsEveryRecordMissing() {
    dns.exists(DOMAIN);
    LayoutReport r = check();
    assertThat(findings(r))
        .containsExactly(
            "missing-mx mail.example.com",
            "missing-mx mx1.example.com",
            "missing-mx mx2.example.com",
            "missing-mx mx3.example.com");
    assertThat(r.notes())
        .containsExactly(
            "the MX lookup says NODATA (no record of this type): no MX record is published");
  }

  @Test
  void anExtraMxAboveTheTrapsTakesTheirPlace() {
    published()
        .mx(
            DOMAIN,
            "10 mail.example.com",
            "20 mx1.example.com",
            "30 mx2.example.com",
            "40 mx3.example.com",
            "50 backup.provider.net")
        .address("backup.provider.net", "203.0.113.25");
    LayoutReport r = check();
    assertThat(findings(r))
        .containsExactly(
            "trap-not-highest mx2.example.com",
            "trap-not-highest mx3.example.com",
            "extra-mx backup.provider.net");
    assertThat(only(r, Code.EXTRA_MX).text())
        .isEqualTo("MX 50 backup.provider.net is published but not in the layout");
    assertThat(r.findings().get(1).text())
        .isEqualTo(
            "trap at MX 40 below MX 50 backup.provider.net (not in the layout): traps must have"
                + " the highest preference numbers, where spammers aim");
  }

  @Test
  void thePrimaryPublishedOnceMoreAboveTheTrapsTakesTheirPlace() {
    published()
        .mx(
            DOMAIN,
            "10 mail.example.com",
            "20 mx1.example.com",
            "30 mx2.example.com",
            "40 mx3.example.com",
            "50 mail.example.com");
    LayoutReport r = check();
    assertThat(findings(r))
        .containsExactly(
            "trap-not-highest mx2.example.com",
            "trap-not-highest mx3.example.com",
            "extra-mx mail.example.com");
    assertThat(r.findings().get(1).text()).contains("below primary MX 50 mail.example.com");
  }

  @Test
  void anExtraMxBelowTheTrapsIsOnlyExtra() {
    published()
        .mx(
            DOMAIN,
            "10 mail.example.com",
            "15 backup.provider.net",
            "20 mx1.example.com",
            "30 mx2.example.com",
            "40 mx3.example.com")
        .address("backup.provider.net", "203.0.113.25");
    LayoutReport r = check();
    assertThat(findings(r)).containsExactly("extra-mx backup.provider.net");
    assertThat(only(r, Code.EXTRA_MX).text())
        .isEqualTo("MX 15 backup.provider.net is published but not in the layout");
    LayoutReport.Row extra = r.rows().get(4);
    assertThat(extra.expected()).isNull();
    assertThat(extra.published().host()).isEqualTo("backup.provider.net");
    assertThat(extra.verdict()).containsExactly(Code.EXTRA_MX);
  }

  @Test
  void wrongPreference() {
    published()
        .mx(
            DOMAIN,
            "10 mail.example.com",
            "25 mx1.example.com",
            "30 mx2.example.com",
            "40 mx3.example.com");
    LayoutReport r = check();
    assertThat(findings(r)).containsExactly("wrong-preference mx1.example.com");
    assertThat(only(r, Code.WRONG_PREFERENCE).text())
        .isEqualTo("published at preference 25, the layout says 20 (backup)");
    assertThat(r.rows().get(1).published().preference()).isEqualTo(25);
  }

  @Test
  void aHostPublishedTwiceIsMatchedWhereItIsRightAndExtraElsewhere() {
    published()
        .mx(
            DOMAIN,
            "10 mail.example.com",
            "20 mx1.example.com",
            "30 mx2.example.com",
            "40 mx3.example.com",
            "50 mx3.example.com");
    LayoutReport r = check();
    assertThat(findings(r)).containsExactly("extra-mx mx3.example.com");
    assertThat(r.rows().get(3).verdict()).isEmpty();
  }

  @Test
  void trapAddressIsPrimary() {
    published().address("mx2.example.com", "192.0.2.10");
    LayoutReport r = check();
    assertThat(findings(r))
        .containsExactly(
            "address-mismatch mx2.example.com", "trap-address-is-primary mx2.example.com");
    assertThat(only(r, Code.TRAP_ADDRESS_IS_PRIMARY).text())
        .isEqualTo(
            "the trap has the address of a real MX: 192.0.2.10 (primary MX 10 mail.example.com in"
                + " the layout); a sender at the trap cannot be told from one at the real MX, and"
                + " DNS carries no port to tell them apart");
  }

  @Test
  void aTrapOnAnAddressTheBackupPublishesIsCaughtToo() {
    published()
        .address("mx1.example.com", "198.51.100.5", "198.51.100.6")
        .address("mx3.example.com", "198.51.100.6");
    LayoutReport r = check();
    assertThat(findings(r))
        .containsExactly(
            "address-mismatch mx1.example.com",
            "address-mismatch mx3.example.com",
            "trap-address-is-primary mx3.example.com");
    assertThat(only(r, Code.TRAP_ADDRESS_IS_PRIMARY).text())
        .contains("198.51.100.6 (backup MX 20 mx1.example.com as published)");
  }

  @Test
  void aLayoutThatSharesTheAddressIsFoundWhenPublishedAsConfigured() {
    Layout shared =
        new Layout(
            List.of(
                entry(10, "mail.example.com", "192.0.2.10", Role.PRIMARY),
                entry(30, "mx2.example.com", "192.0.2.10", Role.TRAP)));
    dns.mx(DOMAIN, "10 mail.example.com", "30 mx2.example.com")
        .address("mail.example.com", "192.0.2.10")
        .address("mx2.example.com", "192.0.2.10");
    LayoutReport r = new LayoutCheck(dns).check(DOMAIN, shared);
    assertThat(findings(r)).containsExactly("trap-address-is-primary mx2.example.com");
  }

  @Test
  void revealingName() {
    Layout telling =
        new Layout(
            List.of(
                entry(10, "mail.example.com", "192.0.2.10", Role.PRIMARY),
                entry(30, "spamtrap.example.com", "192.0.2.30", Role.TRAP)));
    dns.mx(DOMAIN, "10 mail.example.com", "30 spamtrap.example.com")
        .address("mail.example.com", "192.0.2.10")
        .address("spamtrap.example.com", "192.0.2.30");
    LayoutReport r = new LayoutCheck(dns).check(DOMAIN, telling);
    assertThat(findings(r)).containsExactly("revealing-name spamtrap.example.com");
    assertThat(only(r, Code.REVEALING_NAME).text())
        .isEqualTo(
            "the name contains \"trap\": names that say trap, spam, honey, catch, bait tell"
                + " spammers which MX to avoid");
  }

  @Test
  void theDomainsOwnNameRevealsNothing() {
    Layout layout =
        new Layout(
            List.of(
                entry(10, "mail.mxtrap.test", "192.0.2.10", Role.PRIMARY),
                entry(30, "mx2.mxtrap.test", "192.0.2.30", Role.TRAP)));
    dns.mx("mxtrap.test", "10 mail.mxtrap.test", "30 mx2.mxtrap.test")
        .address("mail.mxtrap.test", "192.0.2.10")
        .address("mx2.mxtrap.test", "192.0.2.30");
    assertThat(new LayoutCheck(dns).check("mxtrap.test", layout).findings()).isEmpty();
  }

  @Test
  void trapNotHighest() {
    published()
        .mx(
            DOMAIN,
            "10 mail.example.com",
            "35 mx1.example.com",
            "30 mx2.example.com",
            "40 mx3.example.com");
    LayoutReport r = check();
    assertThat(findings(r))
        .containsExactly("wrong-preference mx1.example.com", "trap-not-highest mx2.example.com");
    assertThat(only(r, Code.TRAP_NOT_HIGHEST).text())
        .isEqualTo(
            "trap at MX 30 below backup MX 35 mx1.example.com: traps must have the highest"
                + " preference numbers, where spammers aim");
  }

  @Test
  void trapSharesPreference() {
    published()
        .mx(
            DOMAIN,
            "10 mail.example.com",
            "20 mx1.example.com",
            "30 mx2.example.com",
            "10 mx3.example.com");
    LayoutReport r = check();
    assertThat(findings(r))
        .containsExactly(
            "wrong-preference mx3.example.com",
            "trap-not-highest mx3.example.com",
            "trap-shares-preference mx3.example.com");
    assertThat(only(r, Code.TRAP_SHARES_PREFERENCE).text())
        .isEqualTo(
            "trap at MX 10 beside primary MX 10 mail.example.com: senders pick among equal"
                + " preferences at random (RFC 5321 5.1), so legitimate mail would land on the"
                + " trap");
    assertThat(verdicts(r).get(3))
        .isEqualTo("mx3.example.com [wrong-preference, trap-not-highest, trap-shares-preference]");
  }

  @Test
  void trapsSharingAPreferenceWithEachOtherAreFine() {
    Layout layout =
        new Layout(
            List.of(
                entry(10, "mail.example.com", "192.0.2.10", Role.PRIMARY),
                entry(30, "mx2.example.com", "192.0.2.30", Role.TRAP),
                entry(30, "mx3.example.com", "192.0.2.40", Role.TRAP)));
    dns.mx(DOMAIN, "10 mail.example.com", "30 mx2.example.com", "30 mx3.example.com")
        .address("mail.example.com", "192.0.2.10")
        .address("mx2.example.com", "192.0.2.30")
        .address("mx3.example.com", "192.0.2.40");
    assertThat(new LayoutCheck(dns).check(DOMAIN, layout).findings()).isEmpty();
  }

  @Test
  void mxCname() {
    publishedExcept("mx3.example.com")
        .cname("mx3.example.com", "host7.example.net")
        .address("host7.example.net", "192.0.2.40");
    LayoutReport r = check();
    assertThat(findings(r)).containsExactly("mx-cname mx3.example.com");
    assertThat(only(r, Code.MX_CNAME).text())
        .isEqualTo(
            "mx3.example.com is a CNAME for host7.example.net: an MX target must be a host name,"
                + " not an alias (RFC 2181 10.3, RFC 5321 5.1)");
  }

  @Test
  void nullMxAlone() {
    dns.mx(DOMAIN, "0 .");
    LayoutReport r = check();
    assertThat(findings(r))
        .containsExactly(
            "missing-mx mail.example.com",
            "missing-mx mx1.example.com",
            "missing-mx mx2.example.com",
            "missing-mx mx3.example.com",
            "null-mx .");
    assertThat(only(r, Code.NULL_MX).text())
        .isEqualTo(
            "\"MX 0 .\" is a null MX (RFC 7505): the domain says it accepts no mail, and senders"
                + " bounce without trying");
    LayoutReport.Row row = r.rows().get(4);
    assertThat(row.published()).isEqualTo(new LayoutReport.Published(0, ".", List.of(), List.of()));
    assertThat(dns.asked).containsExactly("MX example.com");
  }

  @Test
  void nullMxAmongOthers() {
    published()
        .mx(
            DOMAIN,
            "0 .",
            "10 mail.example.com",
            "20 mx1.example.com",
            "30 mx2.example.com",
            "40 mx3.example.com");
    LayoutReport r = check();
    assertThat(findings(r)).containsExactly("null-mx .");
    assertThat(only(r, Code.NULL_MX).text()).contains("among other MX records");
  }

  @Test
  void unresolvableHost() {
    publishedExcept("mx1.example.com").exists("mx1.example.com");
    LayoutReport r = check();
    assertThat(findings(r)).containsExactly("unresolvable-host mx1.example.com");
    assertThat(only(r, Code.UNRESOLVABLE_HOST).text())
        .isEqualTo("no address: A NODATA, AAAA NODATA; senders skip this MX");
    assertThat(r.rows().get(1).published().addresses()).isEmpty();
  }

  @Test
  void addressMismatchPerFamily() {
    published().address("mail.example.com", "192.0.2.10", "192.0.2.11", "2001:db8::99");
    LayoutReport r = check();
    assertThat(findings(r)).containsExactly("address-mismatch mail.example.com");
    assertThat(only(r, Code.ADDRESS_MISMATCH).text())
        .isEqualTo(
            "192.0.2.11 is published but not in the layout; the layout's 2001:db8::10 is not"
                + " published; 2001:db8::99 is published but not in the layout");
  }

  @Test
  void anUnknownFamilyIsUnknownNeitherMissingNorMismatched() {
    published().failing("mail.example.com", "AAAA", Answer.Failure.SERVFAIL);
    LayoutReport r = check();
    assertThat(findings(r)).containsExactly("lookup-unknown mail.example.com");
    assertThat(only(r, Code.LOOKUP_UNKNOWN).text())
        .isEqualTo(
            "the AAAA lookup could not be made: unknown, SERVFAIL: canned SERVFAIL for AAAA"
                + " mail.example.com");
    LayoutReport.Published p = r.rows().get(0).published();
    assertThat(p.addresses().stream().map(Addresses::text)).containsExactly("192.0.2.10");
    assertThat(p.unknown()).containsExactly("AAAA");
  }

  @Test
  void bothFamiliesUnknownIsOneFindingAndNotUnresolvable() {
    published()
        .failing("mx2.example.com", "A", Answer.Failure.TIMEOUT)
        .failing("mx2.example.com", "AAAA", Answer.Failure.TIMEOUT);
    LayoutReport r = check();
    assertThat(findings(r)).containsExactly("lookup-unknown mx2.example.com");
    assertThat(only(r, Code.LOOKUP_UNKNOWN).text())
        .startsWith("the A lookup could not be made: unknown, TIMEOUT")
        .contains("; the AAAA lookup could not be made: unknown, TIMEOUT");
  }

  @Test
  void anUnknownMxLookupDecidesNothingAndAsksNothingMore() {
    dns.failing(DOMAIN, "MX", Answer.Failure.TIMEOUT);
    LayoutReport r = check();
    assertThat(findings(r)).containsExactly("lookup-unknown example.com");
    assertThat(only(r, Code.LOOKUP_UNKNOWN).text())
        .isEqualTo(
            "the MX lookup could not be made, so nothing is known about what is published:"
                + " unknown, TIMEOUT: canned TIMEOUT for MX example.com");
    assertThat(r.rows())
        .hasSize(4)
        .allMatch(
            row -> row.published() == null && row.verdict().equals(List.of(Code.LOOKUP_UNKNOWN)));
    assertThat(dns.asked).containsExactly("MX example.com");
  }

  @Test
  void aDomainThatIsAnAliasIsNotedAndChecked() {
    FakeDns aliased = new FakeDns();
    aliased
        .cname(DOMAIN, "hosted.example.net")
        .mx(
            "hosted.example.net",
            "10 mail.example.com",
            "20 mx1.example.com",
            "30 mx2.example.com",
            "40 mx3.example.com")
        .address("mail.example.com", "192.0.2.10", "2001:db8::10")
        .address("mx1.example.com", "198.51.100.5")
        .address("mx2.example.com", "192.0.2.30")
        .address("mx3.example.com", "192.0.2.40");
    LayoutReport r = new LayoutCheck(aliased).check(DOMAIN, LAYOUT);
    assertThat(r.findings()).isEmpty();
    assertThat(r.notes())
        .containsExactly(
            "example.com is a CNAME for hosted.example.net: the MX records of hosted.example.net"
                + " were used for example.com (RFC 5321 5.1)");
  }

  @Test
  void anAddressLiteralTargetIsExtraAndNotLookedUp() {
    published()
        .mx(
            DOMAIN,
            "10 mail.example.com",
            "20 mx1.example.com",
            "30 mx2.example.com",
            "40 mx3.example.com",
            "15 192.0.2.99");
    LayoutReport r = check();
    assertThat(findings(r)).containsExactly("extra-mx 192.0.2.99");
    assertThat(only(r, Code.EXTRA_MX).text())
        .endsWith("(and it is an IP address written as a host name)");
    assertThat(r.rows().get(4).published().addresses().stream().map(Addresses::text))
        .containsExactly("192.0.2.99");
    assertThat(dns.asked).doesNotContain("A 192.0.2.99");
  }
}
