package org.mxtrap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mxtrap.core.Addresses;

class IpLiteralsTest {

  @ParameterizedTest
  @CsvSource({"192.0.2.10, 192.0.2.10", "0.0.0.0, 0.0.0.0", "255.255.255.255, 255.255.255.255"})
  void parsesIpv4(String text, String expected) {
    InetAddress a = IpLiterals.parseAddress(text);
    assertThat(a).isInstanceOf(Inet4Address.class);
    assertThat(a.getHostAddress()).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({
    "::1, 0:0:0:0:0:0:0:1",
    "::, 0:0:0:0:0:0:0:0",
    "2001:db8::1, 2001:db8:0:0:0:0:0:1",
    "2001:DB8:0:0:0:0:0:1, 2001:db8:0:0:0:0:0:1",
    "fe80::, fe80:0:0:0:0:0:0:0",
    "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::, 1:2:3:4:5:6:7:0",
    "::2:3:4:5:6:7:8, 0:2:3:4:5:6:7:8",
    "64:ff9b::192.0.2.1, 64:ff9b:0:0:0:0:c000:201",
    "[2001:db8::1], 2001:db8:0:0:0:0:0:1"
  })
  void parsesIpv6(String text, String expected) {
    InetAddress a = IpLiterals.parseAddress(text);
    assertThat(a).isInstanceOf(Inet6Address.class);
    assertThat(a.getHostAddress()).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"::ffff:192.0.2.1", "::FFFF:c000:0201", "0:0:0:0:0:ffff:192.0.2.1"})
  void anIpv4MappedAddressIsTheIpv4Address(String text) {
    InetAddress a = IpLiterals.parseAddress(text);
    assertThat(a).isInstanceOf(Inet4Address.class);
    assertThat(a.getHostAddress()).isEqualTo("192.0.2.1");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "192.0.2.300",
        "192.0.2",
        "192.0.2.1.5",
        "192.0.2.01",
        "1.2.3.-4",
        "",
        "localhost",
        "mail.example.com",
        "1:2:3:4:5:6:7:8:9",
        "1::2::3",
        "12345::",
        ":::",
        "1:2:3:4:5:6:7",
        "fe80::1%eth0",
        "::ffff:192.0.2.300",
        "1.2.3.4::",
        "g::1",
        "::١",
        "[::1",
        "192.0.2.1 " + "x"
      })
  void refusesAnythingElseWithoutDns(String text) {
    assertThatThrownBy(() -> IpLiterals.parseAddress(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("not an IP address: " + text.strip());
  }

  @Test
  void parsesSocketAddresses() {
    assertThat(IpLiterals.parseSocketAddress("0.0.0.0:25"))
        .isEqualTo(new InetSocketAddress(IpLiterals.parseAddress("0.0.0.0"), 25));
    assertThat(IpLiterals.parseSocketAddress("[::1]:2525"))
        .isEqualTo(new InetSocketAddress(IpLiterals.parseAddress("::1"), 2525));
    assertThat(IpLiterals.parseSocketAddress("[::]:25").getAddress().isAnyLocalAddress()).isTrue();
    assertThat(IpLiterals.parseSocketAddress("[::ffff:127.0.0.1]:25").getAddress())
        .isInstanceOf(Inet4Address.class);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "::1:2525|an IPv6 address with a port needs brackets, e.g. [::1]:2525: ::1:2525",
        "127.0.0.1|missing port in 127.0.0.1 (write ADDRESS:PORT)",
        "[::1]|missing port in [::1] (write [ADDRESS]:PORT)",
        "[::1:25|missing ']' in [::1:25",
        "127.0.0.1:0|port out of range 1..65535 in 127.0.0.1:0",
        "127.0.0.1:65536|port out of range 1..65535 in 127.0.0.1:65536",
        "127.0.0.1:smtp|not a port number in 127.0.0.1:smtp",
        "127.0.0.1:|not a port number in 127.0.0.1:",
        "[127.0.0.1]:25|not an IPv6 address in brackets: [127.0.0.1]:25",
        "localhost:25|not an IP address: localhost"
      })
  void refusesBadSocketAddresses(String text, String message) {
    assertThatThrownBy(() -> IpLiterals.parseSocketAddress(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "192.0.2.53|192.0.2.53:53",
        "127.0.0.1:5353|127.0.0.1:5353",
        "::1|[::1]:53",
        "[::1]|[::1]:53",
        "[2001:db8::53]:5300|[2001:db8::53]:5300",
        " 2001:DB8::53 |[2001:db8::53]:53"
      })
  void theResolverFormLeavesThePortOptional(String text, String expected) {
    InetSocketAddress a = IpLiterals.parseSocketAddress(text, 53);
    assertThat(Addresses.literal(a.getAddress(), a.getPort())).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "ns.example.com|not an IP address: ns.example.com",
        "[127.0.0.1]|not an IPv6 address in brackets: [127.0.0.1]",
        "[::1|missing ']' in [::1",
        "127.0.0.1:0|port out of range 1..65535 in 127.0.0.1:0",
        "[::1]:x|not a port number in [::1]:x"
      })
  void theResolverFormRefusesNamesAndBadPorts(String text, String message) {
    assertThatThrownBy(() -> IpLiterals.parseSocketAddress(text, 53))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @ParameterizedTest
  @CsvSource({
    "::, ::",
    "::1, ::1",
    "2001:DB8:0:0:0:0:0:1, 2001:db8::1",
    "2001:db8:0:1:0:0:0:1, 2001:db8:0:1::1",
    "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
    "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
    "fe80::, fe80::",
    "::ffff:192.0.2.1, 192.0.2.1",
    "192.0.2.1, 192.0.2.1"
  })
  void formatsAsRfc5952(String text, String expected) {
    assertThat(Addresses.text(IpLiterals.parseAddress(text))).isEqualTo(expected);
  }

  @Test
  void formatsSocketAddresses() {
    assertThat(Addresses.literal(IpLiterals.parseAddress("::"), 25)).isEqualTo("[::]:25");
    assertThat(Addresses.literal(IpLiterals.parseAddress("127.0.0.1"), 2525))
        .isEqualTo("127.0.0.1:2525");
  }
}
