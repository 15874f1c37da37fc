package org.mxtrap.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.DnsblSettings;
import org.mxtrap.config.DnsblSettings.OnUnknown;
import org.mxtrap.config.DnsblSettings.Zone;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.core.Action;
import org.mxtrap.core.Decision;
import org.mxtrap.core.Verdict;
import org.mxtrap.dns.Dnsbl;
import org.mxtrap.dns.DnsblAnswer;
import org.mxtrap.observe.Events;
import org.mxtrap.testing.FakeClock;
import org.mxtrap.testing.FakeDns;

/** The score of {@link DnsblCheck}: weights, threshold, fail open and closed. */
class DnsblCheckTest {
  static final InetAddress TWO = IpLiterals.parseAddress("127.0.0.2");

  static Zone zone(String name, double weight, OnUnknown onUnknown) {
    return new Zone(name, weight, onUnknown, List.of());
  }

  static DnsblCheck check(double threshold, Action action, Zone... zones) {
    return new DnsblCheck(
        new Dnsbl(
            new FakeDns(),
            new DnsblSettings(List.of(zones), threshold, Duration.ofSeconds(1)),
            new FakeClock(),
            Events.NONE),
        action);
  }

  static DnsblAnswer listed(Zone z) {
    return new DnsblAnswer.Listed(z, List.of(TWO));
  }

  static DnsblAnswer notListed(Zone z) {
    return new DnsblAnswer.NotListed(z, "NXDOMAIN");
  }

  static DnsblAnswer unknown(Zone z) {
    return new DnsblAnswer.Unknown(z, DnsblAnswer.Cause.DNS, "TIMEOUT: no answer within 1s");
  }

  static Decision refused(DnsblCheck.Outcome o) {
    assertThat(o).isInstanceOf(DnsblCheck.Refuse.class);
    return ((DnsblCheck.Refuse) o).decision();
  }

  static String note(DnsblCheck.Outcome o) {
    assertThat(o).isInstanceOf(DnsblCheck.Pass.class);
    return ((DnsblCheck.Pass) o).note();
  }

  final Zone a = zone("a.test", 0.5, OnUnknown.OPEN);
  final Zone b = zone("b.test", 0.5, OnUnknown.OPEN);
  final Zone closed = zone("closed.test", 1, OnUnknown.CLOSED);

  @Test
  void listingsWhoseWeightsReachTheThresholdRefuseWithTheSuppressAction() {
    DnsblCheck c = check(1, Action.REJECT, a, b);
    Decision d = refused(c.judge(List.of(listed(a), listed(b))));
    assertThat(d.verdict()).isEqualTo(Verdict.DNSBL);
    assertThat(d.action()).isEqualTo(Action.REJECT);
    assertThat(d.until()).as("no suppression").isNull();
    assertThat(d.reason())
        .isEqualTo(
            "DNSBL score 1 reaches the threshold 1: a.test listed (127.0.0.2) +0.5;"
                + " b.test listed (127.0.0.2) +0.5");
  }

  @Test
  void listingsBelowTheThresholdOnlyLeaveANote() {
    DnsblCheck c = check(1, Action.REJECT, a, b);
    assertThat(note(c.judge(List.of(listed(a), notListed(b)))))
        .isEqualTo("DNSBL score 0.5 below the threshold 1: a.test listed (127.0.0.2) +0.5");
  }

  @Test
  void nothingListedNothingSaid() {
    DnsblCheck c = check(1, Action.REJECT, a, b);
    assertThat(c.judge(List.of(notListed(a), notListed(b)))).isSameAs(DnsblCheck.SILENT);
  }

  @Test
  void weightsAddUpAsTheDecimalsTheyAre() {
    Zone x = zone("x.test", 0.7, OnUnknown.OPEN);
    Zone y = zone("y.test", 0.2, OnUnknown.OPEN);
    Zone z = zone("z.test", 0.1, OnUnknown.OPEN);
    DnsblCheck c = check(1, Action.TEMPFAIL, x, y, z);
    assertThat(0.7 + 0.2 + 0.1).as("in doubles it would not").isLessThan(1.0);
    assertThat(refused(c.judge(List.of(listed(x), listed(y), listed(z)))).reason())
        .startsWith("DNSBL score 1 reaches the threshold 1:");
  }

  @Test
  void anUnknownZoneFailingOpenCountsNothingButIsNamed() {
    DnsblCheck c = check(1, Action.REJECT, a, closed);
    Zone open = zone("open.test", 1, OnUnknown.OPEN);
    assertThat(note(check(1, Action.REJECT, open).judge(List.of(unknown(open)))))
        .isEqualTo(
            "DNSBL score 0 below the threshold 1: open.test unknown (TIMEOUT: no answer within"
                + " 1s) (fails open)");
    assertThat(c.judge(List.of(notListed(a), notListed(closed)))).isSameAs(DnsblCheck.SILENT);
  }

  @Test
  void anUnknownZoneFailingClosedCountsButOnlyEverTempfails() {
    DnsblCheck c = check(1, Action.REJECT, a, closed);
    Decision d = refused(c.judge(List.of(notListed(a), unknown(closed))));
    assertThat(d.verdict()).isEqualTo(Verdict.DNSBL);
    assertThat(d.action()).as("a lookup that failed never rejects").isEqualTo(Action.TEMPFAIL);
    assertThat(d.reason())
        .isEqualTo(
            "DNSBL score 1 reaches the threshold 1: closed.test unknown (TIMEOUT: no answer"
                + " within 1s) +1 (fails closed); listings alone score 0: tempfail until the"
                + " unknown zones answer");
  }

  @Test
  void listingsThatReachTheThresholdOnTheirOwnGetTheSuppressActionEvenBesideAnUnknown() {
    Zone heavy = zone("heavy.test", 1, OnUnknown.OPEN);
    DnsblCheck c = check(1, Action.TARPIT, heavy, closed);
    Decision d = refused(c.judge(List.of(listed(heavy), unknown(closed))));
    assertThat(d.action()).isEqualTo(Action.TARPIT);
    assertThat(d.reason()).startsWith("DNSBL score 2 reaches the threshold 1:");
  }

  @Test
  void aListingPlusAClosedUnknownReachingTogetherIsATempfail() {
    DnsblCheck c = check(1, Action.REJECT, a, closed);
    Decision d = refused(c.judge(List.of(listed(a), unknown(closed))));
    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
    assertThat(d.reason()).contains("listings alone score 0.5");
  }
}
