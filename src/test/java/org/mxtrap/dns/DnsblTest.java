package org.mxtrap.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.DnsblSettings;
import org.mxtrap.config.DnsblSettings.OnUnknown;
import org.mxtrap.config.DnsblSettings.Zone;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.observe.Events;
import org.mxtrap.testing.FakeClock;
import org.mxtrap.testing.FakeDns;
import org.slf4j.LoggerFactory;

/** {@link Dnsbl} on canned DNS: query names, the three outcomes per zone, codes, time. */
class DnsblTest {
  static final InetAddress CLIENT = ip("192.0.2.7");
  static final String Q = "7.2.0.192.";

  final FakeDns dns = new FakeDns();
  final FakeClock clock = new FakeClock();
  final ListAppender<ILoggingEvent> warnings = new ListAppender<>();
  final Logger logger = (Logger) LoggerFactory.getLogger("dns");

  @BeforeEach
  void listen() {
    warnings.start();
    logger.addAppender(warnings);
  }

  @AfterEach
  void stopListening() {
    logger.detachAppender(warnings);
  }

  static InetAddress ip(String text) {
    return IpLiterals.parseAddress(text);
  }

  static Zone zone(String name) {
    return Zone.of(name);
  }

  Dnsbl dnsbl(Duration timeout, Zone... zones) {
    return new Dnsbl(dns, new DnsblSettings(List.of(zones), 1.0, timeout), clock, Events.NONE);
  }

  List<DnsblAnswer> lookup(Zone... zones) {
    return dnsbl(Duration.ofSeconds(5), zones).lookup(CLIENT);
  }

  static List<String> codes(DnsblAnswer a) {
    assertThat(a).isInstanceOf(DnsblAnswer.Listed.class);
    return ((DnsblAnswer.Listed) a).codes().stream().map(Addresses::text).toList();
  }

  static DnsblAnswer.Unknown unknown(DnsblAnswer a) {
    assertThat(a).isInstanceOf(DnsblAnswer.Unknown.class);
    return (DnsblAnswer.Unknown) a;
  }

  // --- query names ------------------------------------------------------------------------------

  @Test
  void anIpv4AddressIsAskedByItsOctetsReversed() {
    assertThat(Dnsbl.queryName(ip("192.0.2.99"), "bl.test")).isEqualTo("99.2.0.192.bl.test");
    assertThat(Dnsbl.queryName(ip("127.0.0.2"), "bl.test")).isEqualTo("2.0.0.127.bl.test");
  }

  @Test
  void anIpv6AddressIsAskedByItsNibblesReversed() {
    // RFC 5782 2.4
    assertThat(Dnsbl.queryName(ip("2001:db8:1:2:3:4:567:89ab"), "ugly.example.com"))
        .isEqualTo(
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com");
    assertThat(Dnsbl.queryName(ip("::1"), "bl.test")).isEqualTo("1." + "0.".repeat(31) + "bl.test");
  }

  @Test
  void anIpv4MappedAddressIsAskedAsIpv4() throws Exception {
    InetAddress mapped =
        InetAddress.getByAddress(
            new byte[] {
              0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 192, 0, 2, 7
            });
    assertThat(Dnsbl.queryName(mapped, "bl.test")).isEqualTo("7.2.0.192.bl.test");
  }

  // --- outcomes ---------------------------------------------------------------------------------

  @Test
  void eachZoneIsListedNotListedOrUnknownNeverFoldedTogether() {
    dns.address(Q + "a.test", "127.0.0.2")
        .exists(Q + "b.test") // NODATA
        .failing(Q + "c.test", "A", Answer.Failure.SERVFAIL);
    List<DnsblAnswer> answers =
        lookup(zone("a.test"), zone("b.test"), zone("c.test"), zone("d.test"));
    assertThat(answers)
        .extracting(a -> a.zone().name())
        .containsExactly("a.test", "b.test", "c.test", "d.test");
    assertThat(codes(answers.get(0))).containsExactly("127.0.0.2");
    assertThat(answers.get(1)).isEqualTo(new DnsblAnswer.NotListed(zone("b.test"), "NODATA"));
    assertThat(unknown(answers.get(2)).cause()).isEqualTo(DnsblAnswer.Cause.DNS);
    assertThat(answers.get(2).describe()).startsWith("c.test unknown (SERVFAIL: ");
    assertThat(answers.get(3)).isEqualTo(new DnsblAnswer.NotListed(zone("d.test"), "NXDOMAIN"));
    assertThat(dns.asked)
        .containsExactlyInAnyOrder(
            "A " + Q + "a.test", "A " + Q + "b.test", "A " + Q + "c.test", "A " + Q + "d.test");
    assertThat(warnings.list).isEmpty();
  }

  @Test
  void anIpv6ClientIsAskedByNibbles() {
    InetAddress v6 = ip("2001:db8::7");
    dns.address(Dnsbl.queryName(v6, "a.test"), "127.0.0.4");
    List<DnsblAnswer> answers = dnsbl(Duration.ofSeconds(5), zone("a.test")).lookup(v6);
    assertThat(codes(answers.get(0))).containsExactly("127.0.0.4");
  }

  @Test
  void theRefusedCodesAreUnknownAndWarnedAboutNeverListed() {
    dns.address(Q + "zen.test", "127.255.255.254");
    Zone everything = new Zone("zen.test", 1, OnUnknown.OPEN, List.of(Cidr.parse("127.0.0.0/8")));
    DnsblAnswer.Unknown u = unknown(lookup(everything).get(0));
    assertThat(u.cause()).isEqualTo(DnsblAnswer.Cause.REFUSED);
    assertThat(u.describe())
        .isEqualTo(
            "zen.test unknown (the list refused the query: 127.255.255.254 (query through a"
                + " public or open resolver))");
    assertThat(warnings.list).hasSize(1);
    assertThat(warnings.list.get(0).getLevel()).isEqualTo(Level.WARN);
    assertThat(warnings.list.get(0).getFormattedMessage())
        .startsWith("dnsbl zen.test: the list refused the query: 127.255.255.254")
        .contains("for 192.0.2.7; treated as unknown, not as listed")
        .contains("dns.resolver");
  }

  @Test
  void aRefusedCodeAmongListingsStillMakesTheAnswerUnknown() {
    dns.address(Q + "zen.test", "127.0.0.2", "127.255.255.255");
    DnsblAnswer.Unknown u = unknown(lookup(zone("zen.test")).get(0));
    assertThat(u.why()).contains("127.255.255.255 (too many queries)");
  }

  @Test
  void warningsAboutOneZoneComeAtMostEveryTenMinutes() {
    dns.address(Q + "zen.test", "127.255.255.252");
    Dnsbl d = dnsbl(Duration.ofSeconds(5), zone("zen.test"));
    d.lookup(CLIENT);
    d.lookup(CLIENT);
    clock.advance(Dnsbl.WARN_EVERY.minusSeconds(1));
    d.lookup(CLIENT);
    assertThat(warnings.list).hasSize(1);
    assertThat(warnings.list.get(0).getFormattedMessage()).contains("(a typo in the zone name)");
    clock.advance(Duration.ofSeconds(1));
    d.lookup(CLIENT);
    assertThat(warnings.list).hasSize(2);
  }

  @Test
  void anAnswerOutside127IsNotADnsblAnswerButUnknown() {
    dns.address(Q + "bl.test", "198.51.100.80"); // a resolver that rewrites NXDOMAIN
    DnsblAnswer.Unknown u = unknown(lookup(zone("bl.test")).get(0));
    assertThat(u.cause()).isEqualTo(DnsblAnswer.Cause.NOT_A_DNSBL_ANSWER);
    assertThat(u.why()).startsWith("answered 198.51.100.80, outside 127.0.0.0/8");
    assertThat(warnings.list).hasSize(1);
  }

  @Test
  void onlyTheZonesCodesCount() {
    Zone filtered =
        new Zone(
            "zen.test",
            1,
            OnUnknown.OPEN,
            List.of(Cidr.parse("127.0.0.2"), Cidr.parse("127.0.0.4/30")));
    dns.address(Q + "zen.test", "127.0.0.10", "127.0.0.5", "127.0.0.2");
    assertThat(codes(lookup(filtered).get(0))).containsExactly("127.0.0.5", "127.0.0.2");

    InetAddress other = ip("192.0.2.8");
    dns.address("8.2.0.192.zen.test", "127.0.0.10", "127.0.0.11");
    DnsblAnswer a = dnsbl(Duration.ofSeconds(5), filtered).lookup(other).get(0);
    assertThat(a)
        .isEqualTo(
            new DnsblAnswer.NotListed(
                filtered,
                "answered 127.0.0.10, 127.0.0.11, none of its codes (127.0.0.2, 127.0.0.4/30)"));
  }

  @Test
  void withoutCodesEveryAnswerIn127Counts() {
    dns.address(Q + "bl.test", "127.0.0.10", "127.1.2.3");
    assertThat(codes(lookup(zone("bl.test")).get(0))).containsExactly("127.0.0.10", "127.1.2.3");
  }

  @Test
  void aZoneThatDoesNotAnswerIsUnknownWithinTheTimeoutAndItsQueryAbandoned() {
    dns.address(Q + "fast.test", "127.0.0.2").hanging(Q + "slow.test", "A");
    Dnsbl d = dnsbl(Duration.ofMillis(200), zone("fast.test"), zone("slow.test"));
    List<DnsblAnswer> answers =
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> d.lookup(CLIENT));
    assertThat(codes(answers.get(0))).containsExactly("127.0.0.2");
    DnsblAnswer.Unknown u = unknown(answers.get(1));
    assertThat(u.cause()).isEqualTo(DnsblAnswer.Cause.DNS);
    assertThat(u.why()).isEqualTo("TIMEOUT: no answer within 200ms");
    awaitNoHungLookup();
  }

  /** The abandoned lookup's thread is interrupted; wait (bounded) until it has noticed. */
  void awaitNoHungLookup() {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (dns.hung.get() > 0) {
      assertThat(System.nanoTime()).as("hung lookups interrupted").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  @Test
  void withoutZonesNothingIsAsked() {
    Dnsbl d = new Dnsbl(dns, DnsblSettings.NONE, clock, Events.NONE);
    assertThat(d.enabled()).isFalse();
    assertThat(d.lookup(CLIENT)).isEmpty();
    assertThat(dns.asked).isEmpty();
  }
}
