package org.mxtrap.smtp.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.Addresses;
import org.mxtrap.smtp.wire.ProxyHeader.Incomplete;
import org.mxtrap.smtp.wire.ProxyHeader.Local;
import org.mxtrap.smtp.wire.ProxyHeader.Malformed;
import org.mxtrap.smtp.wire.ProxyHeader.Proxied;
import org.mxtrap.smtp.wire.ProxyHeader.Result;
import org.mxtrap.smtp.wire.ProxyHeader.Version;

class ProxyHeaderTest {
  private static final byte[] SMTP = "EHLO client.test\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final String SIGNATURE = "0d0a0d0a000d0a515549540a";

  /**
   * Decodes {@code header} followed by SMTP octets, as it arrives split at every octet boundary:
   * every proper prefix is incomplete, and the whole is decoded with the header's own length.
   */
  private static Result decodedAtEveryBoundary(Version v, byte[] header) {
    byte[] stream = concat(header, SMTP);
    for (int k = 0; k < header.length; k++) {
      assertThat(ProxyHeader.decode(v, Arrays.copyOf(stream, k), k))
          .as("the first %d of %d octets", k, header.length)
          .isEqualTo(new Incomplete());
    }
    for (int k = header.length; k <= stream.length; k++) {
      Result r = ProxyHeader.decode(v, stream, k);
      assertThat(r).isEqualTo(ProxyHeader.decode(v, stream, header.length));
    }
    return ProxyHeader.decode(v, stream, stream.length);
  }

  private static Result decode(Version v, byte[] in) {
    return ProxyHeader.decode(v, in, in.length);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static InetSocketAddress at(String address, int port) {
    return new InetSocketAddress(Addresses.parse(address).orElseThrow(), port);
  }

  @Test
  void v1Tcp4NamesTheClientAndTheFrontend() {
    byte[] h = ascii("PROXY TCP4 192.0.2.7 198.51.100.25 56324 25\r\n");
    assertThat(decodedAtEveryBoundary(Version.V1, h))
        .isEqualTo(new Proxied(at("192.0.2.7", 56324), at("198.51.100.25", 25), h.length));
  }

  @Test
  void v1Tcp6() {
    byte[] h = ascii("PROXY TCP6 2001:db8::7 2001:db8:1::25 65535 0\r\n");
    assertThat(decodedAtEveryBoundary(Version.V1, h))
        .isEqualTo(new Proxied(at("2001:db8::7", 65535), at("2001:db8:1::25", 0), h.length));
  }

  @Test
  void v1UnknownIsLocalWhateverFollows() {
    byte[] h = ascii("PROXY UNKNOWN ffff:f...f:ffff 65535 65535\r\n");
    assertThat(decodedAtEveryBoundary(Version.V1, h)).isEqualTo(new Local(h.length));
    assertThat(decode(Version.V1, ascii("PROXY UNKNOWN\r\n"))).isEqualTo(new Local(15));
  }

  @Test
  void v1OfTheLongestLengthIsRead() {
    // The spec's worst case: UNKNOWN with the longest IPv6 addresses and ports.
    String max =
        "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
            + " 65535 65535\r\n";
    assertThat(max).hasSize(ProxyHeader.V1_MAX);
    assertThat(decodedAtEveryBoundary(Version.V1, ascii(max))).isEqualTo(new Local(107));
    String tcp6 = max.replace("UNKNOWN", "TCP6");
    assertThat(decodedAtEveryBoundary(Version.V1, ascii(tcp6))).isInstanceOf(Proxied.class);
  }

  @Test
  void v1MalformedHeadersAreRefused() {
    for (String bad :
        new String[] {
          "PROXY TCP4 192.0.2.7 198.51.100.25 56324\r\n", // a field missing
          "PROXY TCP4 192.0.2.7  198.51.100.25 56324 25\r\n", // two spaces
          "PROXY TCP4 2001:db8::7 198.51.100.25 56324 25\r\n", // family mismatch
          "PROXY TCP6 ::ffff:192.0.2.7 2001:db8::25 56324 25\r\n", // a mapped IPv4
          "PROXY TCP4 192.0.2.07 198.51.100.25 56324 25\r\n", // leading zero in the address
          "PROXY TCP4 192.0.2.7 198.51.100.25 056324 25\r\n", // leading zero in the port
          "PROXY TCP4 192.0.2.7 198.51.100.25 65536 25\r\n", // port out of range
          "PROXY TCP4 mail.example 198.51.100.25 1 25\r\n", // a name
          "PROXY UDP4 192.0.2.7 198.51.100.25 56324 25\r\n",
          "PROXY TCP4 192.0.2.7 198.51.100.25 56324 25\n", // bare LF
          "proxy TCP4 192.0.2.7 198.51.100.25 56324 25\r\n",
        }) {
      assertThat(decode(Version.V1, ascii(bad))).as(bad).isInstanceOf(Malformed.class);
    }
  }

  @Test
  void v1WithoutCrlfWithinTheBoundIsRefusedAtTheBound() {
    byte[] longLine = ascii("PROXY UNKNOWN " + "x".repeat(200));
    assertThat(ProxyHeader.decode(Version.V1, longLine, ProxyHeader.V1_MAX - 1))
        .isEqualTo(new Incomplete());
    assertThat(ProxyHeader.decode(Version.V1, longLine, ProxyHeader.V1_MAX))
        .isInstanceOf(Malformed.class);
  }

  @Test
  void smtpInsteadOfAHeaderIsRefusedFromItsFirstOctet() {
    assertThat(ProxyHeader.decode(Version.V1, ascii("EHLO x\r\n"), 1))
        .isInstanceOf(Malformed.class);
    assertThat(ProxyHeader.decode(Version.V2, ascii("EHLO x\r\n"), 1))
        .isInstanceOf(Malformed.class);
  }

  @Test
  void theOtherVersionIsRefused() {
    assertThat(decode(Version.V2, ascii("PROXY TCP4 192.0.2.7 198.51.100.25 1 25\r\n")))
        .isInstanceOf(Malformed.class);
    byte[] v2 = hex(SIGNATURE + "21 11 000c c0000207 c6336419 dc04 0019");
    assertThat(decode(Version.V1, v2)).isInstanceOf(Malformed.class);
  }

  @Test
  void v2ProxyTcp4() {
    byte[] h = hex(SIGNATURE + "21 11 000c c0000207 c6336419 dc04 0019");
    assertThat(decodedAtEveryBoundary(Version.V2, h))
        .isEqualTo(new Proxied(at("192.0.2.7", 56324), at("198.51.100.25", 25), 28));
  }

  @Test
  void v2ProxyTcp6() {
    byte[] h =
        hex(
            SIGNATURE
                + "21 21 0024"
                + "20010db8000000000000000000000007"
                + "20010db8000100000000000000000025"
                + "ffff 0019");
    assertThat(decodedAtEveryBoundary(Version.V2, h))
        .isEqualTo(new Proxied(at("2001:db8::7", 65535), at("2001:db8:1::25", 25), 52));
  }

  @Test
  void v2TlvsAfterTheAddressesAreSkipped() {
    // PP2_TYPE_AUTHORITY "mx", PP2_TYPE_UNIQUE_ID of 4 octets, a PP2_TYPE_NOOP of 3.
    byte[] h =
        hex(
            SIGNATURE
                + "21 11 001b c0000207 c6336419 dc04 0019"
                + "02 0002 6d78"
                + "05 0004 01020304"
                + "04 0000");
    assertThat(decodedAtEveryBoundary(Version.V2, h))
        .isEqualTo(new Proxied(at("192.0.2.7", 56324), at("198.51.100.25", 25), h.length));
  }

  @Test
  void v2LocalIsTheBalancersOwnConnection() {
    assertThat(decodedAtEveryBoundary(Version.V2, hex(SIGNATURE + "20 00 0000")))
        .isEqualTo(new Local(16));
    byte[] withAddresses = hex(SIGNATURE + "20 11 000c c0000207 c6336419 dc04 0019");
    assertThat(decodedAtEveryBoundary(Version.V2, withAddresses)).isEqualTo(new Local(28));
  }

  @Test
  void v2OfTheLongestLengthIsReadAndLongerIsRefusedFromItsFixedPart() {
    byte[] max = concat(hex(SIGNATURE + "21 11 0208 c0000207 c6336419 dc04 0019"), new byte[508]);
    assertThat(max).hasSize(ProxyHeader.V2_MAX);
    assertThat(decodedAtEveryBoundary(Version.V2, max)).isInstanceOf(Proxied.class);
    assertThat(decode(Version.V2, hex(SIGNATURE + "21 11 0209"))).isInstanceOf(Malformed.class);
  }

  @Test
  void v2MalformedHeadersAreRefused() {
    for (String bad :
        new String[] {
          SIGNATURE.replace("0a", "0b") + "21 11 000c c0000207 c6336419 dc04 0019",
          SIGNATURE + "11 11 000c c0000207 c6336419 dc04 0019", // version 1 in a v2 frame
          SIGNATURE + "22 11 000c c0000207 c6336419 dc04 0019", // command 2
          SIGNATURE + "21 12 000c c0000207 c6336419 dc04 0019", // UDP
          SIGNATURE + "21 31 00d8", // a UNIX socket
          SIGNATURE + "21 00 0000", // PROXY without addresses
          SIGNATURE + "21 11 000b c0000207 c6336419 dc04 00", // too short for IPv4
          SIGNATURE + "21 21 000c c0000207 c6336419 dc04 0019", // too short for IPv6
        }) {
      assertThat(decode(Version.V2, hex(bad))).as(bad).isInstanceOf(Malformed.class);
    }
  }
}
