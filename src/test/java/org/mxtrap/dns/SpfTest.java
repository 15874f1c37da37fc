package org.mxtrap.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetAddress;
import java.time.Duration;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.testing.FakeDns;

/**
 * {@link Spf}: RFC 7208 check_host() on canned DNS. The zone of Appendix A is set up for every
 * test; a test gives {@code example.com} the record it is about.
 */
class SpfTest {
  static final String SENDER = "strong-bad@email.example.com";

  final FakeDns dns =
      new FakeDns()
          .address("example.com", "192.0.2.10", "192.0.2.11")
          .address("amy.example.com", "192.0.2.65")
          .address("bob.example.com", "192.0.2.66")
          .address("mail-a.example.com", "192.0.2.129")
          .address("mail-b.example.com", "192.0.2.130")
          .address("mail-c.example.org", "192.0.2.140")
          .mx("example.com", "10 mail-a.example.com", "20 mail-b.example.com")
          .mx("example.org", "10 mail-c.example.org")
          .ptr("192.0.2.10", "example.com")
          .ptr("192.0.2.11", "example.com")
          .ptr("192.0.2.65", "amy.example.com")
          .ptr("192.0.2.66", "bob.example.com")
          .ptr("192.0.2.129", "mail-a.example.com")
          .ptr("192.0.2.130", "mail-b.example.com")
          .ptr("192.0.2.140", "mail-c.example.org");
  final Spf spf = new Spf(dns, Duration.ofSeconds(5));

  static InetAddress ip(String literal) {
    return IpLiterals.parseAddress(literal);
  }

  SpfOutcome check(String ip, String domain) {
    return spf.checkHost(ip(ip), domain, "someone@" + domain, "mail.client.example");
  }

  SpfResult example(String record, String ip) {
    dns.txt("example.com", record);
    return check(ip, "example.com").result();
  }

  // --- RFC 7208 Appendix A.1 ------------------------------------------------------------------

  @Test
  void appendixA1Examples() {
    assertThat(example("v=spf1 +all", "198.51.100.1")).isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 a -all", "192.0.2.10")).isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 a -all", "192.0.2.11")).isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 a -all", "192.0.2.65")).isEqualTo(SpfResult.FAIL);
    assertThat(example("v=spf1 a:example.org -all", "192.0.2.10")).isEqualTo(SpfResult.FAIL);
    assertThat(example("v=spf1 mx -all", "192.0.2.129")).isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 mx -all", "192.0.2.130")).isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 mx -all", "192.0.2.140")).isEqualTo(SpfResult.FAIL);
    assertThat(example("v=spf1 mx:example.org -all", "192.0.2.140")).isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 mx mx:example.org -all", "192.0.2.140")).isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.131"))
        .isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.143"))
        .isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 mx/30 mx:example.org/30 -all", "192.0.2.144"))
        .isEqualTo(SpfResult.FAIL);
    assertThat(example("v=spf1 ptr -all", "192.0.2.65")).isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 ptr -all", "192.0.2.140")).isEqualTo(SpfResult.FAIL);
    assertThat(example("v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.65")).isEqualTo(SpfResult.FAIL);
    assertThat(example("v=spf1 ip4:192.0.2.128/28 -all", "192.0.2.129")).isEqualTo(SpfResult.PASS);
  }

  @Test
  void appendixA2RedirectSharesOneRecord() {
    dns.txt("la.example.com", "v=spf1 redirect=_spf.example.com")
        .txt("_spf.example.com", "v=spf1 mx:example.com -all");
    SpfOutcome pass = check("192.0.2.129", "la.example.com");
    assertThat(pass.result()).isEqualTo(SpfResult.PASS);
    assertThat(pass.reason())
        .isEqualTo(
            "la.example.com: redirect=_spf.example.com: _spf.example.com: mx:example.com matched"
                + " (by mail-a.example.com)");
    assertThat(check("192.0.2.65", "la.example.com").result()).isEqualTo(SpfResult.FAIL);
  }

  // --- mechanisms and qualifiers ---------------------------------------------------------------

  @Test
  void eachQualifierGivesItsResult() {
    assertThat(example("v=spf1 +ip4:192.0.2.1", "192.0.2.1")).isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 -ip4:192.0.2.1", "192.0.2.1")).isEqualTo(SpfResult.FAIL);
    assertThat(example("v=spf1 ~ip4:192.0.2.1", "192.0.2.1")).isEqualTo(SpfResult.SOFTFAIL);
    assertThat(example("v=spf1 ?ip4:192.0.2.1", "192.0.2.1")).isEqualTo(SpfResult.NEUTRAL);
    assertThat(example("v=spf1 ~all", "192.0.2.1")).isEqualTo(SpfResult.SOFTFAIL);
  }

  @Test
  void nothingMatchingIsNeutral() {
    dns.txt("example.com", "v=spf1 ip4:192.0.2.1");
    assertThat(check("192.0.2.2", "example.com"))
        .isEqualTo(new SpfOutcome(SpfResult.NEUTRAL, "example.com: no mechanism matched"));
  }

  @Test
  void theReasonNamesTheMechanismThatMatched() {
    dns.txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all");
    assertThat(check("192.0.2.7", "example.com").reason())
        .isEqualTo("example.com: ip4:192.0.2.0/24 matched");
    assertThat(check("198.51.100.1", "example.com").reason())
        .isEqualTo("example.com: -all matched");
  }

  @Test
  void ip6MatchesByItsPrefixAndNeverAnIpv4Client() {
    dns.txt("example.com", "v=spf1 ip6:2001:db8::/32 ip4:192.0.2.0/24 -all");
    assertThat(check("2001:db8:ffff::1", "example.com").result()).isEqualTo(SpfResult.PASS);
    assertThat(check("2001:db9::1", "example.com").result()).isEqualTo(SpfResult.FAIL);
    assertThat(check("192.0.2.1", "example.com").result()).isEqualTo(SpfResult.PASS);
    assertThat(check("::ffff:192.0.2.1", "example.com").result()).isEqualTo(SpfResult.PASS);
  }

  @Test
  void anIpv4NetworkWithHostBitsSetIsItsNetwork() {
    assertThat(example("v=spf1 ip4:192.0.2.77/24 -all", "192.0.2.1")).isEqualTo(SpfResult.PASS);
  }

  @Test
  void aAndMxTakeADualCidrLength() {
    dns.address("v6.example.com", "192.0.2.1", "2001:db8:1::1");
    dns.txt("example.com", "v=spf1 a:v6.example.com/24//64 -all");
    assertThat(check("192.0.2.200", "example.com").result()).isEqualTo(SpfResult.PASS);
    assertThat(check("192.0.3.1", "example.com").result()).isEqualTo(SpfResult.FAIL);
    assertThat(check("2001:db8:1::ff:1", "example.com").result()).isEqualTo(SpfResult.PASS);
    assertThat(check("2001:db8:2::1", "example.com").result()).isEqualTo(SpfResult.FAIL);
    assertThat(dns.asked).contains("AAAA v6.example.com");

    dns.mx("v6.example.com", "10 v6.example.com");
    dns.txt("example.com", "v=spf1 mx:v6.example.com//48 -all");
    assertThat(check("2001:db8:1:ffff::1", "example.com").result()).isEqualTo(SpfResult.PASS);
    assertThat(check("192.0.2.2", "example.com").result()).isEqualTo(SpfResult.FAIL);
  }

  @Test
  void existsMatchesAnyARecordWhateverTheClientsFamily() {
    dns.address("1.2.0.192.in-addr._spf.example.com", "127.0.0.2")
        .address(
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com",
            "127.0.0.2")
        .txt("example.com", "v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all");
    assertThat(check("192.0.2.1", "example.com").result()).isEqualTo(SpfResult.PASS);
    assertThat(check("2001:db8::1", "example.com").result()).isEqualTo(SpfResult.PASS);
    assertThat(check("192.0.2.2", "example.com").result()).isEqualTo(SpfResult.FAIL);
  }

  @Test
  void ptrNeedsANameThatLeadsBack() {
    dns.ptr("192.0.2.99", "forged.example.com", "mail.other.example");
    dns.address("mail.other.example", "192.0.2.99");
    assertThat(example("v=spf1 ptr -all", "192.0.2.99")).isEqualTo(SpfResult.FAIL);
    assertThat(example("v=spf1 ptr:other.example -all", "192.0.2.99")).isEqualTo(SpfResult.PASS);
  }

  @Test
  void ptrLooksAtTenNamesAtMost() {
    String[] names =
        IntStream.rangeClosed(1, 11).mapToObj(i -> "h" + i + ".example.net").toArray(String[]::new);
    dns.ptr("192.0.2.99", names).address("h11.example.net", "192.0.2.99");
    assertThat(example("v=spf1 ptr:example.net -all", "192.0.2.99")).isEqualTo(SpfResult.FAIL);
    dns.address("h10.example.net", "192.0.2.99");
    assertThat(example("v=spf1 ptr:example.net -all", "192.0.2.99")).isEqualTo(SpfResult.PASS);
  }

  // --- include and redirect --------------------------------------------------------------------

  @Test
  void includeMatchesOnPassOnly() {
    dns.txt("pass.example.net", "v=spf1 ip4:192.0.2.1 -all")
        .txt("soft.example.net", "v=spf1 ~all")
        .txt("neutral.example.net", "v=spf1 ?all");
    dns.txt("example.com", "v=spf1 include:pass.example.net -all");
    SpfOutcome pass = check("192.0.2.1", "example.com");
    assertThat(pass.result()).isEqualTo(SpfResult.PASS);
    assertThat(pass.reason())
        .isEqualTo(
            "example.com: include:pass.example.net matched (pass.example.net: ip4:192.0.2.1"
                + " matched)");
    assertThat(check("192.0.2.2", "example.com").result()).isEqualTo(SpfResult.FAIL);
    assertThat(example("v=spf1 include:soft.example.net -all", "192.0.2.1"))
        .isEqualTo(SpfResult.FAIL);
    assertThat(example("v=spf1 include:neutral.example.net ?all", "192.0.2.1"))
        .isEqualTo(SpfResult.NEUTRAL);
  }

  @Test
  void includeOfADomainWithoutARecordIsAPermerror() {
    dns.txt("example.com", "v=spf1 include:nothing.example.net -all");
    SpfOutcome o = check("192.0.2.1", "example.com");
    assertThat(o.result()).isEqualTo(SpfResult.PERMERROR);
    assertThat(o.reason())
        .isEqualTo(
            "example.com: include:nothing.example.net: nothing.example.net: no SPF record"
                + " (NXDOMAIN)");
  }

  @Test
  void includeHandsOnErrors() {
    dns.txt("broken.example.net", "v=spf1 bogus -all")
        .failing("down.example.net", "TXT", Answer.Failure.SERVFAIL);
    assertThat(example("v=spf1 include:broken.example.net +all", "192.0.2.1"))
        .isEqualTo(SpfResult.PERMERROR);
    assertThat(example("v=spf1 include:down.example.net +all", "192.0.2.1"))
        .isEqualTo(SpfResult.TEMPERROR);
  }

  @Test
  void aRedirectToADomainWithoutARecordIsAPermerror() {
    assertThat(example("v=spf1 redirect=nothing.example.net", "192.0.2.1"))
        .isEqualTo(SpfResult.PERMERROR);
  }

  @Test
  void aRedirectIsFollowedOnlyWhenNothingMatched() {
    dns.txt("other.example.net", "v=spf1 -all");
    assertThat(example("v=spf1 ip4:192.0.2.1 redirect=other.example.net", "192.0.2.1"))
        .isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 ip4:192.0.2.1 redirect=other.example.net", "192.0.2.2"))
        .isEqualTo(SpfResult.FAIL);
    assertThat(example("v=spf1 redirect=other.example.net ?all", "192.0.2.2"))
        .isEqualTo(SpfResult.NEUTRAL);
  }

  @Test
  void expAndUnknownModifiersAreIgnored() {
    assertThat(example("v=spf1 exp=explain.%{d} moo=%{c}.cow -all", "192.0.2.1"))
        .isEqualTo(SpfResult.FAIL);
    assertThat(dns.asked).noneMatch(q -> q.contains("explain"));
  }

  // --- record selection and syntax -------------------------------------------------------------

  @Test
  void noRecordIsNone() {
    assertThat(check("192.0.2.1", "nothing.example.net"))
        .isEqualTo(new SpfOutcome(SpfResult.NONE, "nothing.example.net: no SPF record (NXDOMAIN)"));
    dns.txt("other.example.net", "google-site-verification=abc", "v=spf10 -all");
    assertThat(check("192.0.2.1", "other.example.net").result()).isEqualTo(SpfResult.NONE);
  }

  @Test
  void aNameThatIsNotADomainIsNone() {
    assertThat(check("192.0.2.1", "localhost").result()).isEqualTo(SpfResult.NONE);
    assertThat(check("192.0.2.1", "a..example.com").result()).isEqualTo(SpfResult.NONE);
    assertThat(dns.asked).isEmpty();
  }

  @Test
  void severalSpfRecordsAreAPermerror() {
    dns.txt("example.com", "v=spf1 +all", "V=SPF1 -all", "other text");
    assertThat(check("192.0.2.1", "example.com"))
        .isEqualTo(
            new SpfOutcome(
                SpfResult.PERMERROR, "example.com: 2 SPF records, where one is allowed"));
  }

  @Test
  void theVersionAndMechanismsAreCaseInsensitive() {
    assertThat(example("V=Spf1 IP4:192.0.2.1 -ALL", "192.0.2.1")).isEqualTo(SpfResult.PASS);
  }

  @Test
  void aSyntaxErrorAnywhereIsAPermerror() {
    for (String bad :
        new String[] {
          "v=spf1 +all moo",
          "v=spf1 +all ip4:192.0.2.0/33",
          "v=spf1 +all ip4:2001:db8::1",
          "v=spf1 +all ip6:192.0.2.1",
          "v=spf1 +all ip6:2001:db8::/129",
          "v=spf1 +all a:example.com/024",
          "v=spf1 +all a:foo",
          "v=spf1 +all a:",
          "v=spf1 +all all:x.example",
          "v=spf1 +all include",
          "v=spf1 +all exists:%{x}.example.com",
          "v=spf1 +all exists:%{d0}.example.com",
          "v=spf1 +all exists:%{c}.example.com",
          "v=spf1 +all exists:%.example.com",
          "v=spf1 +all exists:%{d.example.com",
          "v=spf1 +all redirect=a.example redirect=b.example",
          "v=spf1 +all exp=a.example exp=b.example",
          "v=spf1 +all moo=%{q}",
        }) {
      assertThat(example(bad, "192.0.2.1")).as(bad).isEqualTo(SpfResult.PERMERROR);
    }
  }

  @Test
  void anExpandedNameThatIsNotADnsNameIsAPermerror() {
    dns.txt("example.com", "v=spf1 exists:%{l}.example.com -all");
    SpfOutcome o = spf.checkHost(ip("192.0.2.1"), "example.com", "a..b@example.com", "h");
    assertThat(o.result()).isEqualTo(SpfResult.PERMERROR);
  }

  // --- limits ----------------------------------------------------------------------------------

  /** example.com includes i1, which includes i2, ..., up to i{depth}, which passes 192.0.2.1. */
  void includeChain(int depth) {
    dns.txt("example.com", "v=spf1 include:i1.example.net -all");
    for (int i = 1; i < depth; i++) {
      dns.txt("i" + i + ".example.net", "v=spf1 include:i" + (i + 1) + ".example.net -all");
    }
    dns.txt("i" + depth + ".example.net", "v=spf1 ip4:192.0.2.1 -all");
  }

  @Test
  void tenTermsThatQueryDnsAreAllowedOverIncludesTheEleventhIsAPermerror() {
    includeChain(10);
    assertThat(check("192.0.2.1", "example.com").result()).isEqualTo(SpfResult.PASS);
    includeChain(11);
    SpfOutcome o = check("192.0.2.1", "example.com");
    assertThat(o.result()).isEqualTo(SpfResult.PERMERROR);
    assertThat(o.reason())
        .contains("more than 10 terms that query DNS, at include:i11.example.net");
  }

  @Test
  void theLimitCountsAMxPtrExistsAndRedirectButNotIpOrAll() {
    String tenA =
        IntStream.rangeClosed(1, 10)
            .mapToObj(i -> "a:example.com")
            .collect(Collectors.joining(" "));
    assertThat(example("v=spf1 " + tenA + " ip4:192.0.2.1 ip6:::1 all", "192.0.2.1"))
        .isEqualTo(SpfResult.PASS);
    assertThat(example("v=spf1 " + tenA + " mx -all", "192.0.2.1")).isEqualTo(SpfResult.PERMERROR);
    dns.txt("r.example.net", "v=spf1 -all");
    assertThat(example("v=spf1 " + tenA + " redirect=r.example.net", "192.0.2.1"))
        .isEqualTo(SpfResult.PERMERROR);
  }

  @Test
  void moreThanTenMxRecordsIsAPermerror() {
    String[] mx =
        IntStream.rangeClosed(1, 11)
            .mapToObj(i -> i + " mx" + i + ".example.net")
            .toArray(String[]::new);
    dns.mx("many.example.net", mx).address("mx1.example.net", "192.0.2.1");
    assertThat(example("v=spf1 mx:many.example.net -all", "192.0.2.1"))
        .isEqualTo(SpfResult.PERMERROR);
  }

  @Test
  void twoVoidLookupsAreAllowedTheThirdIsAPermerror() {
    dns.exists("nodata.example.com");
    assertThat(example("v=spf1 a:gone1.example.com exists:nodata.example.com -all", "192.0.2.1"))
        .isEqualTo(SpfResult.FAIL);
    dns.txt(
        "example.com",
        "v=spf1 a:gone1.example.com exists:nodata.example.com mx:gone3.example.com -all");
    SpfOutcome o = check("192.0.2.1", "example.com");
    assertThat(o.result()).isEqualTo(SpfResult.PERMERROR);
    assertThat(o.reason()).contains("more than 2 void lookups, at MX gone3.example.com NXDOMAIN");
  }

  // --- unknowns and time -----------------------------------------------------------------------

  @Test
  void aRecordLookupThatFailsIsATemperror() {
    dns.failing("example.com", "TXT", Answer.Failure.SERVFAIL);
    SpfOutcome o = check("192.0.2.1", "example.com");
    assertThat(o.result()).isEqualTo(SpfResult.TEMPERROR);
    assertThat(o.reason()).startsWith("example.com: TXT unknown, SERVFAIL");
  }

  @Test
  void aMechanismLookupThatFailsIsATemperrorNeverANoMatch() {
    dns.failing("down.example.net", "A", Answer.Failure.TIMEOUT)
        .failing("192.0.2.1", "PTR", Answer.Failure.SERVFAIL)
        .failing("mail-b.example.com", "A", Answer.Failure.SERVFAIL);
    assertThat(example("v=spf1 a:down.example.net -all", "192.0.2.1"))
        .isEqualTo(SpfResult.TEMPERROR);
    assertThat(example("v=spf1 exists:down.example.net -all", "192.0.2.1"))
        .isEqualTo(SpfResult.TEMPERROR);
    assertThat(example("v=spf1 ptr -all", "192.0.2.1")).isEqualTo(SpfResult.TEMPERROR);
    // An MX host whose addresses are unknown: temperror, unless another host matches.
    assertThat(example("v=spf1 mx -all", "192.0.2.1")).isEqualTo(SpfResult.TEMPERROR);
    assertThat(example("v=spf1 mx -all", "192.0.2.129")).isEqualTo(SpfResult.PASS);
  }

  @Test
  void aCheckThatOutlivesItsBudgetIsATemperror() {
    Spf quick = new Spf(dns, Duration.ofMillis(200));
    dns.txt("example.com", "v=spf1 a:slow.example.net -all").hanging("slow.example.net", "A");
    SpfOutcome o =
        assertTimeoutPreemptively(
            Duration.ofSeconds(10),
            () -> quick.checkHost(ip("192.0.2.1"), "example.com", SENDER, "h"));
    assertThat(o.result()).isEqualTo(SpfResult.TEMPERROR);
    assertThat(o.reason()).isEqualTo("example.com: no answer within 200ms");
  }

  // --- macros (RFC 7208 section 7.4) -----------------------------------------------------------

  static String expand(String macro, String ip) throws SpfRecord.SyntaxError {
    return SpfMacroString.parse(macro, false)
        .expand(
            new SpfMacroString.Values(
                SENDER, "email.example.com", ip(ip), "mx.example.org", () -> "mx.example.org"));
  }

  @Test
  void theMacroExamplesOfSection74() throws SpfRecord.SyntaxError {
    String[][] table = {
      {"%{s}", "strong-bad@email.example.com"},
      {"%{o}", "email.example.com"},
      {"%{d}", "email.example.com"},
      {"%{d4}", "email.example.com"},
      {"%{d3}", "email.example.com"},
      {"%{d2}", "example.com"},
      {"%{d1}", "com"},
      {"%{dr}", "com.example.email"},
      {"%{d2r}", "example.email"},
      {"%{l}", "strong-bad"},
      {"%{l-}", "strong.bad"},
      {"%{lr}", "strong-bad"},
      {"%{lr-}", "bad.strong"},
      {"%{l1r-}", "strong"},
      {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
      {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
      {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
      {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
      {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
    };
    for (String[] row : table) {
      assertThat(expand(row[0], "192.0.2.3")).as(row[0]).isEqualTo(row[1]);
    }
    assertThat(expand("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"))
        .isEqualTo(
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
  }

  @Test
  void otherMacros() throws SpfRecord.SyntaxError {
    assertThat(expand("%{i}", "2001:db8::cb01"))
        .isEqualTo("2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
    assertThat(expand("%{i}", "::ffff:192.0.2.3")).isEqualTo("192.0.2.3");
    assertThat(expand("%{h}.%{p}", "192.0.2.3")).isEqualTo("mx.example.org.mx.example.org");
    assertThat(expand("%{S}", "192.0.2.3")).isEqualTo("strong-bad%40email.example.com");
    assertThat(expand("%%%_%-", "192.0.2.3")).isEqualTo("% %20");
    assertThat(expand("%{d999}", "192.0.2.3")).isEqualTo("email.example.com");
  }

  @Test
  void thePMacroIsTheValidatedNameOrUnknown() {
    dns.address("mx.example.org", "192.0.2.3").ptr("192.0.2.3", "mx.example.org");
    dns.address("mx.example.org.ok.example.com", "127.0.0.2");
    assertThat(example("v=spf1 exists:%{p}.ok.%{d} -all", "192.0.2.3")).isEqualTo(SpfResult.PASS);
    dns.address("unknown.ok.example.com", "127.0.0.2");
    assertThat(example("v=spf1 exists:%{p}.ok.%{d} -all", "192.0.2.4")).isEqualTo(SpfResult.PASS);
  }

  @Test
  void theSenderDefaultsToPostmaster() {
    dns.address("postmaster.ok.example.com", "127.0.0.2");
    dns.txt("example.com", "v=spf1 exists:%{l}.ok.%{o} -all");
    assertThat(spf.checkHost(ip("192.0.2.1"), "example.com", "", "example.com").result())
        .isEqualTo(SpfResult.PASS);
    assertThat(spf.checkHost(ip("192.0.2.1"), "example.com", "example.com", "h").result())
        .isEqualTo(SpfResult.PASS);
  }

  @Test
  void anOverlongNameLosesLabelsOnTheLeft() {
    String label = "a".repeat(60);
    String name = String.join(".", label, label, label, label, label) + ".example.com"; // 317
    assertThat(Spf.dnsName(name)).isEqualTo(String.join(".", label, label, label) + ".example.com");
    assertThat(Spf.dnsName("a" + ".b".repeat(200))).hasSizeLessThanOrEqualTo(253);
    assertThat(Spf.dnsName("x".repeat(64) + ".example.com")).isNull();
    assertThat(Spf.dnsName("a\\.example.com")).isNull();
    assertThat(Spf.dnsName("Example.COM.")).isEqualTo("example.com");
  }
}
