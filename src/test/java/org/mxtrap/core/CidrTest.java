package org.mxtrap.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {

  @ParameterizedTest
  @CsvSource({
    "203.0.113.0/24, 203.0.113.0/24",
    "0.0.0.0/0, 0.0.0.0/0",
    "198.51.100.5, 198.51.100.5/32",
    "198.51.100.5/32, 198.51.100.5/32",
    "2001:db8::/32, 2001:db8::/32",
    "::/0, ::/0",
    "2001:db8::1, 2001:db8::1/128",
    "::ffff:192.0.2.0/120, 192.0.2.0/24",
    "::ffff:192.0.2.7, 192.0.2.7/32",
    "::ffff:0.0.0.0/96, 0.0.0.0/0",
    "10.128.0.0/9, 10.128.0.0/9"
  })
  void parses(String text, String expected) {
    assertThat(Cidr.parse(text)).hasToString(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "192.0.2.1/24|host bits set in 192.0.2.1/24 (the network is 192.0.2.0/24)",
        "192.0.2.0/33|prefix length out of range 0..32 in 192.0.2.0/33",
        "2001:db8::/129|prefix length out of range 0..128 in 2001:db8::/129",
        "192.0.2.0/|not a CIDR prefix: 192.0.2.0/",
        "192.0.2.0/x|not a CIDR prefix: 192.0.2.0/x",
        "192.0.2.0/-1|not a CIDR prefix: 192.0.2.0/-1",
        "192.0.2.300/24|not a CIDR prefix: 192.0.2.300/24",
        "example.com/24|not a CIDR prefix: example.com/24",
        "::ffff:192.0.2.0/64|an IPv4-mapped prefix needs a length of at least 96:"
            + " ::ffff:192.0.2.0/64"
      })
  void refuses(String text, String message) {
    assertThatThrownBy(() -> Cidr.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void containsChecksThePrefixBitsOfTheSameFamily() {
    Cidr v4 = Cidr.parse("10.128.0.0/9");
    assertThat(v4.contains(ip("10.200.1.1"))).isTrue();
    assertThat(v4.contains(ip("10.127.255.255"))).isFalse();
    assertThat(v4.contains(ip("::ffff:10.200.1.1"))).isTrue();
    assertThat(v4.contains(ip("::a80:1"))).isFalse();

    Cidr v6 = Cidr.parse("2001:db8::/32");
    assertThat(v6.contains(ip("2001:db8:ffff::1"))).isTrue();
    assertThat(v6.contains(ip("2001:db9::1"))).isFalse();
    assertThat(v6.contains(ip("192.0.2.1"))).isFalse();

    assertThat(Cidr.parse("0.0.0.0/0").contains(Addresses.parse("::1").orElseThrow())).isFalse();
    assertThat(Cidr.parse("::/0").contains(Addresses.parse("::1").orElseThrow())).isTrue();
  }

  private static java.net.InetAddress ip(String text) {
    return Addresses.parse(text).orElseThrow();
  }

  @Test
  void ofMasksTheAddressToThePrefix() {
    assertThat(Cidr.of(ip("192.0.2.77"), 24)).hasToString("192.0.2.0/24");
    assertThat(Cidr.of(ip("::ffff:192.0.2.77"), 32)).hasToString("192.0.2.77/32");
    assertThat(Cidr.of(ip("2001:db8:1:2::5"), 48)).hasToString("2001:db8:1::/48");
    assertThat(Cidr.of(ip("192.0.2.77"), 128)).hasToString("192.0.2.77/32");
  }
}
