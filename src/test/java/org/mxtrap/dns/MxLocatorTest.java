package org.mxtrap.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.core.Addresses;
import org.mxtrap.dns.MxOrder.Failure;
import org.mxtrap.testing.FakeDns;

/** Every ordering rule of RFC 5321 section 5.1 as {@link MxLocator} applies it, on canned DNS. */
class MxLocatorTest {

  private final FakeDns dns = new FakeDns();

  private MxOrder locate(String domain) {
    return locate(domain, ThisHost.NONE, MxLocator.Limits.DEFAULTS);
  }

  private MxOrder locate(String domain, ThisHost self, MxLocator.Limits limits) {
    return new MxLocator(dns, new SplittableRandom(1), limits).locate(domain, self);
  }

  private static List<String> hosts(MxOrder o) {
    return o.hosts().stream().map(h -> h.preference() + " " + h.host()).toList();
  }

  private static List<String> addresses(TargetHost h) {
    return h.addresses().stream().map(Addresses::text).toList();
  }

  private static List<Note.Kind> kinds(List<Note> notes) {
    return notes.stream().map(Note::kind).toList();
  }

  private static MxOrder.Failed failed(MxOrder o) {
    assertThat(o).isInstanceOf(MxOrder.Failed.class);
    return (MxOrder.Failed) o;
  }

  private static InetAddress ip(String text) {
    return IpLiterals.parseAddress(text);
  }

  // --- order ------------------------------------------------------------------------------------

  @Test
  void mostPreferredFirst() {
    dns.mx("example.test", "30 c.example.test", "10 a.example.test", "20 b.example.test")
        .address("a.example.test", "192.0.2.1")
        .address("b.example.test", "192.0.2.2")
        .address("c.example.test", "192.0.2.3");
    MxOrder o = locate("example.test");
    assertThat(o).isInstanceOf(MxOrder.Ordered.class);
    assertThat(hosts(o))
        .containsExactly("10 a.example.test", "20 b.example.test", "30 c.example.test");
    assertThat(((MxOrder.Ordered) o).addresses())
        .containsExactly(ip("192.0.2.1"), ip("192.0.2.2"), ip("192.0.2.3"));
    assertThat(o.notes()).isEmpty();
  }

  @Test
  void equalPreferencesComeInEveryOrderAboutEquallyOften() {
    dns.mx(
            "example.test",
            "10 a.example.test",
            "10 b.example.test",
            "10 c.example.test",
            "20 z.example.test")
        .address("a.example.test", "192.0.2.1")
        .address("b.example.test", "192.0.2.2")
        .address("c.example.test", "192.0.2.3")
        .address("z.example.test", "192.0.2.26");
    MxLocator locator =
        new MxLocator(dns, new SplittableRandom(20250603), MxLocator.Limits.DEFAULTS);
    int runs = 6000;
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < runs; i++) {
      List<String> order = hosts(locator.locate("example.test", ThisHost.NONE));
      assertThat(order.get(3)).isEqualTo("20 z.example.test");
      seen.merge(String.join(",", order.subList(0, 3)), 1, Integer::sum);
    }
    assertThat(seen).hasSize(6); // 3! permutations
    double expected = runs / 6.0;
    double chiSquare = 0;
    for (int n : seen.values()) {
      assertThat((double) n).isBetween(expected * 0.85, expected * 1.15);
      chiSquare += (n - expected) * (n - expected) / expected;
    }
    // 5 degrees of freedom: 20.5 is the 0.1% critical value; a fair shuffle stays well below.
    assertThat(chiSquare).isLessThan(20.5);
  }

  @Test
  void theShuffleIsReplayedFromTheSeed() {
    dns.mx("example.test", "10 a.example.test", "10 b.example.test", "10 c.example.test")
        .address("a.example.test", "192.0.2.1")
        .address("b.example.test", "192.0.2.2")
        .address("c.example.test", "192.0.2.3");
    MxLocator one = new MxLocator(dns, new SplittableRandom(7), MxLocator.Limits.DEFAULTS);
    MxLocator two = new MxLocator(dns, new SplittableRandom(7), MxLocator.Limits.DEFAULTS);
    for (int i = 0; i < 20; i++) {
      assertThat(hosts(one.locate("example.test", ThisHost.NONE)))
          .isEqualTo(hosts(two.locate("example.test", ThisHost.NONE)));
    }
  }

  // --- implicit MX, null MX, no domain ------------------------------------------------------

  @Test
  void withoutMxRecordsTheDomainIsItsOwnMxAtPreferenceZero() {
    dns.address("example.test", "192.0.2.7", "2001:db8::7");
    MxOrder o = locate("example.test");
    assertThat(o).isInstanceOf(MxOrder.Ordered.class);
    assertThat(hosts(o)).containsExactly("0 example.test");
    assertThat(addresses(o.hosts().get(0))).containsExactly("192.0.2.7", "2001:db8::7");
    assertThat(kinds(o.notes())).containsExactly(Note.Kind.IMPLICIT_MX);
  }

  @Test
  void withoutMxRecordsAndWithoutAddressesNoMailCanGoThere() {
    dns.exists("example.test");
    MxOrder.Failed f = failed(locate("example.test"));
    assertThat(f.failure()).isEqualTo(Failure.NO_ADDRESS);
    assertThat(f.failure().permanent()).isTrue();
    assertThat(f.reason()).isEqualTo("the domain has no MX record and no address of its own");
    assertThat(kinds(f.notes())).containsExactly(Note.Kind.IMPLICIT_MX);
  }

  @Test
  void aDomainThatDoesNotExistHasNoImplicitMx() {
    MxOrder.Failed f = failed(locate("nowhere.test"));
    assertThat(f.failure()).isEqualTo(Failure.NO_SUCH_DOMAIN);
    assertThat(f.failure().permanent()).isTrue();
    assertThat(dns.asked).containsExactly("MX nowhere.test");
  }

  @Test
  void aNullMxMeansTheDomainAcceptsNoMail() {
    dns.mx("example.test", "0 .").address("example.test", "192.0.2.7");
    MxOrder.Failed f = failed(locate("example.test"));
    assertThat(f.failure()).isEqualTo(Failure.NULL_MX);
    assertThat(f.failure().permanent()).isTrue();
    assertThat(f.reason()).contains("accepts no mail");
    assertThat(kinds(f.notes())).containsExactly(Note.Kind.NULL_MX);
    assertThat(dns.asked)
        .as("no address lookup, no implicit MX")
        .containsExactly("MX example.test");
  }

  @Test
  void aLoneRootTargetWithAnotherPreferenceIsStillANullMxAndSaysSo() {
    dns.mx("example.test", "10 .");
    MxOrder.Failed f = failed(locate("example.test"));
    assertThat(f.failure()).isEqualTo(Failure.NULL_MX);
    assertThat(f.notes().get(0).text()).contains("MX 10 .").contains("should be 0");
  }

  @Test
  void aNullMxAmongOtherRecordsIsIgnoredAndNoted() {
    dns.mx("example.test", "0 .", "10 a.example.test").address("a.example.test", "192.0.2.1");
    MxOrder o = locate("example.test");
    assertThat(o).isInstanceOf(MxOrder.Ordered.class);
    assertThat(hosts(o)).containsExactly("10 a.example.test");
    assertThat(kinds(o.notes())).containsExactly(Note.Kind.NULL_MX);
  }

  @Test
  void aDomainThatIsAnAliasUsesItsTargetsMxRecords() {
    dns.cname("example.test", "mail-domain.test")
        .mx("mail-domain.test", "10 a.example.test")
        .address("a.example.test", "192.0.2.1");
    MxOrder o = locate("example.test");
    assertThat(hosts(o)).containsExactly("10 a.example.test");
    assertThat(kinds(o.notes())).containsExactly(Note.Kind.DOMAIN_CNAME);
    assertThat(o.notes().get(0).text()).contains("example.test is a CNAME for mail-domain.test");
  }

  // --- targets --------------------------------------------------------------------------------

  @Test
  void anMxTargetThatIsACnameIsFollowedAndReported() {
    dns.mx("example.test", "10 alias.example.test")
        .cname("alias.example.test", "real.example.test")
        .address("real.example.test", "192.0.2.4");
    MxOrder o = locate("example.test");
    assertThat(o).isInstanceOf(MxOrder.Ordered.class);
    TargetHost h = o.hosts().get(0);
    assertThat(h.host()).isEqualTo("alias.example.test");
    assertThat(addresses(h)).containsExactly("192.0.2.4");
    assertThat(kinds(h.notes())).containsExactly(Note.Kind.CNAME_TARGET);
    assertThat(h.notes().get(0).text())
        .contains("alias.example.test is a CNAME for real.example.test");
  }

  @Test
  void anMxTargetThatIsAnAddressIsUsedAsOneAndReported() {
    dns.mx("example.test", "10 192.0.2.9", "20 2001:db8::9");
    MxOrder o = locate("example.test");
    assertThat(o).isInstanceOf(MxOrder.Ordered.class);
    assertThat(addresses(o.hosts().get(0))).containsExactly("192.0.2.9");
    assertThat(addresses(o.hosts().get(1))).containsExactly("2001:db8::9");
    assertThat(kinds(o.hosts().get(0).notes())).containsExactly(Note.Kind.ADDRESS_LITERAL);
    assertThat(kinds(o.hosts().get(1).notes())).containsExactly(Note.Kind.ADDRESS_LITERAL);
    assertThat(dns.asked).as("no lookup for a literal").containsExactly("MX example.test");
  }

  @Test
  void bothFamiliesIPv4First() {
    dns.mx("example.test", "10 dual.example.test", "20 six.example.test")
        .address("dual.example.test", "2001:db8::1", "192.0.2.1", "192.0.2.11")
        .address("six.example.test", "2001:db8::2");
    MxOrder o = locate("example.test");
    assertThat(addresses(o.hosts().get(0)))
        .containsExactly("192.0.2.1", "192.0.2.11", "2001:db8::1");
    assertThat(addresses(o.hosts().get(1))).containsExactly("2001:db8::2");
    assertThat(o.hosts().get(1).notes()).isEmpty(); // no A is normal, not worth a note
  }

  @Test
  void aHostWithoutAddressIsListedWithANoteAndSkipped() {
    dns.mx("example.test", "10 gone.example.test", "20 b.example.test")
        .address("b.example.test", "192.0.2.2");
    MxOrder o = locate("example.test");
    assertThat(o).isInstanceOf(MxOrder.Ordered.class);
    assertThat(hosts(o)).containsExactly("10 gone.example.test", "20 b.example.test");
    assertThat(kinds(o.hosts().get(0).notes())).containsExactly(Note.Kind.NO_ADDRESS);
    assertThat(o.hosts().get(0).notes().get(0).text()).contains("A NXDOMAIN, AAAA NXDOMAIN");
    assertThat(((MxOrder.Ordered) o).addresses()).containsExactly(ip("192.0.2.2"));
  }

  @Test
  void noHostWithAnAddressIsPermanent() {
    dns.mx("example.test", "10 gone.example.test", "20 empty.example.test")
        .exists("empty.example.test");
    MxOrder.Failed f = failed(locate("example.test"));
    assertThat(f.failure()).isEqualTo(Failure.NO_ADDRESS);
    assertThat(f.failure().permanent()).isTrue();
    assertThat(f.hosts()).hasSize(2);
  }

  // --- unknown is not "not found" -------------------------------------------------------------

  @Test
  void anMxLookupThatCouldNotBeMadeDecidesNothing() {
    dns.failing("example.test", "MX", Answer.Failure.TIMEOUT).address("example.test", "192.0.2.7");
    MxOrder.Failed f = failed(locate("example.test"));
    assertThat(f.failure()).isEqualTo(Failure.UNKNOWN);
    assertThat(f.failure().permanent()).isFalse();
    assertThat(f.reason()).contains("the MX lookup could not be made").contains("TIMEOUT");
    assertThat(dns.asked).as("no implicit MX on a guess").containsExactly("MX example.test");
  }

  @Test
  void anAddressLookupThatCouldNotBeMadeIsANoteOnItsHost() {
    dns.mx("example.test", "10 a.example.test", "20 b.example.test")
        .failing("a.example.test", "A", Answer.Failure.SERVFAIL)
        .address("a.example.test", "2001:db8::1")
        .failing("b.example.test", "A", Answer.Failure.TIMEOUT)
        .failing("b.example.test", "AAAA", Answer.Failure.TIMEOUT);
    MxOrder o = locate("example.test");
    assertThat(o).isInstanceOf(MxOrder.Ordered.class);
    assertThat(addresses(o.hosts().get(0))).containsExactly("2001:db8::1");
    assertThat(kinds(o.hosts().get(0).notes())).containsExactly(Note.Kind.UNKNOWN_LOOKUP);
    assertThat(o.hosts().get(0).notes().get(0).text()).contains("A lookup").contains("SERVFAIL");
    assertThat(kinds(o.hosts().get(1).notes()))
        .containsExactly(Note.Kind.UNKNOWN_LOOKUP, Note.Kind.UNKNOWN_LOOKUP);
    assertThat(o.hosts().get(1).addresses()).isEmpty();
  }

  @Test
  void noKnownAddressWithSomeLookupsUnknownIsUnknownNotNoAddress() {
    dns.mx("example.test", "10 gone.example.test", "20 b.example.test")
        .failing("b.example.test", "A", Answer.Failure.REFUSED)
        .exists("b.example.test");
    MxOrder.Failed f = failed(locate("example.test"));
    assertThat(f.failure()).isEqualTo(Failure.UNKNOWN);
    assertThat(f.failure().permanent()).isFalse();
    assertThat(f.hosts().get(1).unknown()).isTrue();
  }

  // --- the rule for MX hosts forwarding mail ----------------------------------------------------

  private void layout() {
    dns.mx(
            "example.test",
            "10 mail.example.test",
            "20 mx1.example.test",
            "30 mx2.example.test",
            "40 mx3.example.test")
        .address("mail.example.test", "192.0.2.10")
        .address("mx1.example.test", "198.51.100.5")
        .address("mx2.example.test", "192.0.2.30")
        .address("mx3.example.test", "192.0.2.40");
  }

  @Test
  void aHostFindingItselfByNameDropsItselfAndEveryLessPreferredEntry() {
    layout();
    MxOrder o =
        locate(
            "example.test",
            new ThisHost(Set.of("MX1.example.test."), Set.of()),
            MxLocator.Limits.DEFAULTS);
    assertThat(o).isInstanceOf(MxOrder.Ordered.class);
    assertThat(hosts(o)).containsExactly("10 mail.example.test");
    assertThat(kinds(o.notes())).containsExactly(Note.Kind.SELF);
    assertThat(o.notes().get(0).text()).contains("MX 20").contains("by name mx1.example.test");
    assertThat(dns.asked)
        .as("dropped hosts are not looked up")
        .doesNotContain("A mx2.example.test");
  }

  @Test
  void aHostFindingItselfByAddressDropsItselfAndEveryLessPreferredEntry() {
    layout();
    MxOrder o =
        locate(
            "example.test",
            new ThisHost(Set.of("backup.internal.test"), Set.of(ip("::ffff:198.51.100.5"))),
            MxLocator.Limits.DEFAULTS);
    assertThat(hosts(o)).containsExactly("10 mail.example.test");
    assertThat(o.notes().get(0).text()).contains("by address 198.51.100.5 of mx1.example.test");
  }

  @Test
  void equalPreferenceToItselfIsDroppedToo() {
    dns.mx("example.test", "10 a.example.test", "10 self.example.test", "20 c.example.test")
        .address("a.example.test", "192.0.2.1")
        .address("self.example.test", "192.0.2.2")
        .address("c.example.test", "192.0.2.3");
    MxOrder.Failed f =
        failed(
            locate(
                "example.test",
                new ThisHost(Set.of("self.example.test"), Set.of()),
                MxLocator.Limits.DEFAULTS));
    assertThat(f.failure()).isEqualTo(Failure.LOOPS_BACK);
    assertThat(f.hosts()).isEmpty();
  }

  @Test
  void theMostPreferredHostFindingItselfIsAnErrorNeverALoop() {
    layout();
    MxOrder.Failed f =
        failed(
            locate(
                "example.test",
                new ThisHost(Set.of(), Set.of(ip("192.0.2.10"))),
                MxLocator.Limits.DEFAULTS));
    assertThat(f.failure()).isEqualTo(Failure.LOOPS_BACK);
    assertThat(f.failure().permanent()).isTrue();
    assertThat(f.reason()).contains("most preferred MX").contains("loop back");
  }

  @Test
  void whenNoBetterHostHasAnAddressABackupHoldsTheMail() {
    dns.mx("example.test", "10 mail.example.test", "20 mx1.example.test")
        .failing("mail.example.test", "A", Answer.Failure.SERVFAIL)
        .exists("mail.example.test")
        .address("mx1.example.test", "198.51.100.5");
    MxOrder.Failed f =
        failed(
            locate(
                "example.test",
                new ThisHost(Set.of("mx1.example.test"), Set.of()),
                MxLocator.Limits.DEFAULTS));
    assertThat(f.failure()).isEqualTo(Failure.NO_BETTER_HOST);
    assertThat(f.failure().permanent()).isFalse();
    assertThat(hosts(f)).containsExactly("10 mail.example.test");
  }

  @Test
  void theDomainItselfAsImplicitMxCanBeThisHostToo() {
    dns.address("example.test", "192.0.2.7");
    MxOrder.Failed f =
        failed(
            locate(
                "example.test",
                new ThisHost(Set.of(), Set.of(ip("192.0.2.7"))),
                MxLocator.Limits.DEFAULTS));
    assertThat(f.failure()).isEqualTo(Failure.LOOPS_BACK);
  }

  // --- limits ---------------------------------------------------------------------------------

  @Test
  void hostsBeyondTheLimitAreNeitherLookedUpNorTried() {
    layout();
    MxOrder o = locate("example.test", ThisHost.NONE, new MxLocator.Limits(2, 20));
    assertThat(hosts(o)).containsExactly("10 mail.example.test", "20 mx1.example.test");
    assertThat(kinds(o.notes())).containsExactly(Note.Kind.HOST_LIMIT);
    assertThat(o.notes().get(0).text())
        .contains("2 more")
        .contains("MX 30 mx2.example.test, MX 40 mx3.example.test");
    assertThat(dns.asked).doesNotContain("A mx2.example.test", "A mx3.example.test");
  }

  @Test
  void addressesBeyondTheLimitAreNotTried() {
    dns.mx("example.test", "10 a.example.test", "20 b.example.test", "30 c.example.test")
        .address("a.example.test", "192.0.2.1", "192.0.2.11", "2001:db8::1")
        .address("b.example.test", "192.0.2.2", "2001:db8::2")
        .address("c.example.test", "192.0.2.3");
    MxOrder o = locate("example.test", ThisHost.NONE, new MxLocator.Limits(10, 4));
    assertThat(o).isInstanceOf(MxOrder.Ordered.class);
    assertThat(((MxOrder.Ordered) o).addresses()).hasSize(4);
    assertThat(addresses(o.hosts().get(1))).containsExactly("192.0.2.2");
    assertThat(o.hosts().get(2).addresses()).isEmpty();
    assertThat(kinds(o.hosts().get(1).notes())).containsExactly(Note.Kind.ADDRESS_LIMIT);
    assertThat(kinds(o.hosts().get(2).notes())).containsExactly(Note.Kind.ADDRESS_LIMIT);
    assertThat(kinds(o.notes())).containsExactly(Note.Kind.ADDRESS_LIMIT);
    assertThat(o.notes().get(0).text()).startsWith("2 address(es) beyond the limit of 4");
  }
}
