package org.mxtrap.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.testing.FakeDns;

/** {@link ReverseNames}: PTR with forward confirmation, on canned DNS, within its budget. */
class ReverseNamesTest {
  static final InetAddress CLIENT = IpLiterals.parseAddress("192.0.2.7");
  static final InetAddress CLIENT6 = IpLiterals.parseAddress("2001:db8::7");

  final FakeDns dns = new FakeDns();
  final ReverseNames names = new ReverseNames(dns, Duration.ofSeconds(5));

  @Test
  void aNameThatLeadsBackToTheAddressIsVerified() {
    dns.ptr("192.0.2.7", "Mail.Example.NET.").address("mail.example.net", "192.0.2.9", "192.0.2.7");
    ReverseName n = names.lookup(CLIENT);
    assertThat(n).isEqualTo(new ReverseName.Verified("mail.example.net"));
    assertThat(n.verifiedName()).isEqualTo("mail.example.net");
    assertThat(dns.asked).containsExactly("PTR 192.0.2.7", "A mail.example.net");
  }

  @Test
  void aNameThatDoesNotLeadBackIsUnverifiedAndNeverUsed() {
    dns.ptr("192.0.2.7", "paypal.example").address("paypal.example", "198.51.100.1");
    ReverseName n = names.lookup(CLIENT);
    assertThat(n).isInstanceOf(ReverseName.Unverified.class);
    assertThat(n.verifiedName()).isNull();
    assertThat(n.describe())
        .isEqualTo("unverified: paypal.example has 198.51.100.1, not 192.0.2.7");
  }

  @Test
  void aNameWithoutAddressesIsUnverified() {
    dns.ptr("192.0.2.7", "gone.example");
    assertThat(names.lookup(CLIENT).describe())
        .isEqualTo("unverified: gone.example has no A (NXDOMAIN)");
  }

  @Test
  void theFirstOfSeveralNamesThatLeadsBackIsTaken() {
    dns.ptr("192.0.2.7", "a.example", "b.example", "c.example")
        .address("a.example", "192.0.2.1")
        .address("b.example", "192.0.2.7")
        .address("c.example", "192.0.2.7");
    assertThat(names.lookup(CLIENT)).isEqualTo(new ReverseName.Verified("b.example"));
    assertThat(dns.asked).doesNotContain("A c.example");
  }

  @Test
  void anIpv6ClientIsConfirmedByAaaa() {
    dns.ptr("2001:db8::7", "v6.example").address("v6.example", "192.0.2.7", "2001:db8::7");
    assertThat(names.lookup(CLIENT6)).isEqualTo(new ReverseName.Verified("v6.example"));
    assertThat(dns.asked).containsExactly("PTR 2001:db8::7", "AAAA v6.example");
  }

  @Test
  void aPtrNameThatIsNotAHostNameIsNeverUsed() {
    dns.ptr("192.0.2.7", "bad_name.example").address("bad_name.example", "192.0.2.7");
    ReverseName n = names.lookup(CLIENT);
    assertThat(n.verifiedName()).isNull();
    assertThat(n.describe()).isEqualTo("unverified: bad_name.example is not a host name");
  }

  @Test
  void noPtrRecordIsNone() {
    assertThat(names.lookup(CLIENT)).isEqualTo(new ReverseName.None(Answer.Absence.NXDOMAIN));
  }

  @Test
  void aPtrLookupThatFailsIsUnknown() {
    dns.failing("192.0.2.7", "PTR", Answer.Failure.SERVFAIL);
    ReverseName n = names.lookup(CLIENT);
    assertThat(n).isInstanceOf(ReverseName.Unknown.class);
    assertThat(n.describe()).startsWith("unknown: PTR SERVFAIL: ");
  }

  @Test
  void aForwardLookupThatFailsIsUnknownNotUnverified() {
    dns.ptr("192.0.2.7", "mail.example.net")
        .failing("mail.example.net", "A", Answer.Failure.TIMEOUT);
    ReverseName n = names.lookup(CLIENT);
    assertThat(n).isInstanceOf(ReverseName.Unknown.class);
    assertThat(n.describe()).startsWith("unknown: A mail.example.net TIMEOUT: ");
  }

  @Test
  void aSlowPtrEndsWithinTheBudget() {
    dns.hanging("192.0.2.7", "PTR");
    ReverseNames quick = new ReverseNames(dns, Duration.ofMillis(200));
    ReverseName n = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> quick.lookup(CLIENT));
    assertThat(n).isEqualTo(new ReverseName.Unknown("no answer within 200ms"));
    awaitNoHungLookup();
  }

  @Test
  void aSlowForwardLookupEndsWithinTheBudgetToo() {
    dns.ptr("192.0.2.7", "mail.example.net").hanging("mail.example.net", "A");
    ReverseNames quick = new ReverseNames(dns, Duration.ofMillis(200));
    ReverseNames.Pending p = quick.start(CLIENT);
    ReverseName n = assertTimeoutPreemptively(Duration.ofSeconds(10), p::await);
    assertThat(n).isEqualTo(new ReverseName.Unknown("no answer within 200ms"));
    assertThat(p.await()).as("asked again: the same outcome, at once").isEqualTo(n);
    awaitNoHungLookup();
  }

  void awaitNoHungLookup() {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (dns.hung.get() > 0) {
      assertThat(System.nanoTime()).as("hung lookups interrupted").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }
}
